// Deployed into the resource group that holds an EXISTING Microsoft Sentinel workspace, which may
// be another resource group or subscription than the app's. Grants the app's identity one role,
// scoped to the workspace itself:
//
//   writePath arm (default): the custom role "ThreatFox Sentinel Sync", built here from
//     lib/sentinel/appRole.json, the one list of what the app calls (threat-intelligence indicators:
//     createIndicator, write, delete, queryIndicators, metrics; saved searches read/write/delete; the
//     workspace, its tables and the Logs query read). `npm run check` reads the identity's permissions
//     against the same file. Microsoft Sentinel Contributor would add analytics and automation rules,
//     incidents, data connectors, workbooks and alert rules: a compromised app could blind the SOC.
//   writePath upload: Microsoft Sentinel Contributor, the role the STIX objects upload API documents.
//
// main.bicep deploys this module once per workspace of SENTINEL_WORKSPACES; an administrator who
// grants the role by hand can deploy this very file (docs/deploy.md).

import { roleDefinitionIds } from 'roles.bicep'

@description('Name of the existing Log Analytics workspace Microsoft Sentinel is enabled on.')
param workspaceName string

@description('Principal (object) id of the app\'s user-assigned identity.')
param identityPrincipalId string

@description('Name (GUID) of the role assignment, from main.bicep: deterministic, so provisioning again is a no-op.')
param roleAssignmentName string

@allowed([
  'arm'
  'upload'
])
@description('SENTINEL_WRITE_PATH: arm gets the custom role, upload Microsoft Sentinel Contributor.')
param writePath string = 'arm'

// The same file lib/sentinel/permissions.ts reads.
var appRole = loadJsonContent('../../lib/sentinel/appRole.json')
var useAppRole = writePath == 'arm'
// One definition per resource group, shared by every deployment that writes to a workspace there:
// the same name and content, so another environment's provision is a no-op. Role names are unique in
// a tenant, hence the resource group's own hash in it.
var appRoleDefinitionName = guid(resourceGroup().id, appRole.roleName)

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: workspaceName
}

resource appRoleDefinition 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (useAppRole) {
  name: appRoleDefinitionName
  properties: {
    roleName: '${appRole.roleName} (${resourceGroup().name}, ${take(uniqueString(resourceGroup().id), 6)})'
    description: appRole.description
    type: 'CustomRole'
    permissions: [
      {
        actions: concat(appRole.writes, appRole.reads)
        notActions: []
      }
    ]
    // Custom roles are assignable at resource group scope at the finest; the assignment below is on the workspace.
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource sentinelRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: roleAssignmentName
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', useAppRole ? appRoleDefinitionName : roleDefinitionIds.microsoftSentinelContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    description: 'threatfox-sentinel-sync: create/update TI indicators and hunting queries (saved searches)'
  }
  dependsOn: [
    appRoleDefinition
  ]
}

output workspaceId string = workspace.id
output roleDefinitionId string = sentinelRole.properties.roleDefinitionId
