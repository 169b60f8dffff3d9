// Deployed into the resource group that holds the EXISTING Microsoft Sentinel workspace, which may
// be another resource group or subscription than the app's. Grants the app's identity the one role
// it needs there, scoped to the workspace itself.
//
// Why Microsoft Sentinel Contributor and nothing else: the app calls
//   - Microsoft.SecurityInsights/threatIntelligence/main/{createIndicator, indicators/*, queryIndicators}
//     -> covered by Microsoft.SecurityInsights/* in Sentinel Contributor (Sentinel Responder and
//        Reader cannot create indicators);
//   - Microsoft.OperationalInsights/workspaces/savedSearches/{id} PUT/DELETE (hunting queries)
//     -> covered by Microsoft.OperationalInsights/workspaces/savedSearches/* in the same role;
//   - the STIX objects upload API (SENTINEL_WRITE_PATH=upload), which documents this very role
//     on the workspace as its requirement.
// main.bicep deploys this module once per workspace of SENTINEL_WORKSPACES.
// Log Analytics Contributor would also allow savedSearches/write, but adds workspace write, shared
// key listing and more; it is not needed and not granted.

import { roleDefinitionIds } from 'roles.bicep'

@description('Name of the existing Log Analytics workspace Microsoft Sentinel is enabled on.')
param workspaceName string

@description('Principal (object) id of the app\'s user-assigned identity.')
param identityPrincipalId string

@description('Name (GUID) of the role assignment, from main.bicep: deterministic, so provisioning again is a no-op.')
param roleAssignmentName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: workspaceName
}

resource sentinelContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: roleAssignmentName
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds.microsoftSentinelContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    description: 'threatfox-sentinel-sync: create/update TI indicators and hunting queries (saved searches)'
  }
}

output workspaceId string = workspace.id
