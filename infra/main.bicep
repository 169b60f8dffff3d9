// threatfox-sentinel-sync: everything `azd up` creates, in one resource group, plus one role
// assignment on the existing Microsoft Sentinel workspace (which may live elsewhere).
//
//   rg-<env>/  id-… (user-assigned identity)   st… (storage: host, package, queues, table, batches)
//              kv-… (ThreatFox key)            log-…/appi-… (the app's own telemetry)
//              plan-…/func-… (Flex Consumption, Node 22)
//   <sentinel rg>/<workspace>: Microsoft Sentinel Contributor for the identity, on every listed workspace

targetScope = 'subscription'

import { roleDefinitionIds } from 'modules/roles.bicep'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for every resource (must offer Flex Consumption).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Optional: resource group name; defaults to rg-<environmentName>.')
param resourceGroupName string = ''

@description('Optional: object id of whoever runs the deployment (azd sets AZURE_PRINCIPAL_ID); gets Key Vault Secrets Officer to set the ThreatFox key.')
param principalId string = ''

@description('Optional: principal type of principalId: User (the default when empty) or ServicePrincipal for a pipeline.')
@allowed([
  ''
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = ''

@description('Subscription of the Microsoft Sentinel workspace; empty means this subscription.')
param sentinelSubscriptionId string = ''

@description('Resource group of the existing Microsoft Sentinel (Log Analytics) workspace; empty when sentinelWorkspaces lists them.')
param sentinelResourceGroup string = ''

@maxLength(63)
@description('Name of the existing Log Analytics workspace Microsoft Sentinel is enabled on; empty when sentinelWorkspaces lists them.')
param sentinelWorkspaceName string = ''

@description('Several workspaces (SENTINEL_WORKSPACES): comma-separated workspace resource ids, in any subscription or, through Azure Lighthouse, tenant. Empty: the one workspace above.')
param sentinelWorkspaces string = ''

@allowed([
  'arm'
  'upload'
])
@description('How indicators are written: arm (one ARM call each) or upload (the STIX objects upload API, 100 a request; docs/deploy.md).')
param sentinelWritePath string = 'arm'

@description('The STIX objects upload API (sentinelWritePath upload).')
param sentinelTiUploadEndpoint string = 'https://api.ti.sentinel.azure.com'

@minValue(1)
@maxValue(16)
@description('Workspaces of one subscription synced at once (ARM throttles writes per subscription).')
param sentinelWorkspacesPerSubscription int = 1

@description('Grant the app Microsoft Sentinel Contributor on the workspace. Needs Owner/User Access Administrator and Microsoft.Resources/deployments/write there; set false (azd env set ASSIGN_SENTINEL_ROLE false, remembered by the azd environment) if an admin grants it (docs/deploy.md).')
param assignSentinelRole bool = true

@secure()
@description('ThreatFox Auth-Key (https://auth.abuse.ch/). Empty: set the Key Vault secret after deployment.')
param threatFoxAuthKey string = ''

@description('Comma-separated ThreatFox malware ids; empty means win.netsupportmanager_rat.')
param threatFoxMalware string = ''

@description('NCRONTAB (6 fields) for pullThreatFox; empty means hourly at minute 5.')
param syncSchedule string = ''

param threatFoxApiUrl string = 'https://threatfox-api.abuse.ch/api/v1/'

// Bounds mirror lib/config.ts so a bad value fails at deploy time, not at the first run.
@minValue(1)
@maxValue(7)
param threatFoxDays int = 1

@minValue(1)
@maxValue(1000)
param threatFoxLimit int = 1000

@minValue(1000)
@maxValue(300000)
param threatFoxTimeoutMs int = 30000

@minValue(0)
@maxValue(10000)
param threatFoxReconcileBudget int = 500

param sentinelApiVersion string = '2025-09-01'

@minLength(1)
param indicatorSource string = 'ThreatFox'

@minValue(1)
@maxValue(365)
param indicatorTtlDays int = 30

@description('How far back the hunting queries look: a KQL timespan such as 14d, 12h or 30m.')
param huntingLookback string = '14d'

@minValue(1)
@maxValue(64)
param armConcurrency int = 8

@minValue(0)
@maxValue(30)
param armMaxRetries int = 10

@description('Per ARM request attempt, in milliseconds (ARM_TIMEOUT_MS).')
@minValue(1000)
@maxValue(300000)
param armTimeoutMs int = 60000

@description('A write run\'s deadline in seconds (RUN_DEADLINE_SECONDS); keep it well below host.json functionTimeout (30 min).')
@minValue(60)
@maxValue(1500)
param runDeadlineSeconds int = 1200

@description('BENIGN_ALLOWLIST: the tenant\'s own benign domains, IPs, CIDR ranges or hashes, comma-separated, never sent to Sentinel.')
param benignAllowlist string = ''

@allowed([
  'fatal'
  'error'
  'warn'
  'info'
  'debug'
  'trace'
])
param logLevel string = 'info'

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// 40: the lowest cap every Flex Consumption region accepts. Microsoft's docs now give 1 as the
// floor, but regions have rejected values under 40 (the older documented minimum), and a default
// that fails in some regions is worse than a higher cap. Writes do not grow with it: they run under
// one blob lease (lib/state/lock.ts), so ARM sees ARM_CONCURRENCY writes at a time whatever the
// instance count. Lower it with `azd env set MAXIMUM_INSTANCE_COUNT <n>` where the region allows.
@description('Flex Consumption scale-out cap (per function group). 40 is accepted in every region; lower it where the region allows (docs/deploy.md).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
// Flex Consumption deploys the package to this container (name <= 63 chars, lower case).
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

// azd substitutes an unset environment variable with '': treat '' as "use the default".
var effectiveSentinelSubscriptionId = empty(sentinelSubscriptionId) ? subscription().subscriptionId : sentinelSubscriptionId
var effectivePrincipalType = empty(principalType) ? 'User' : principalType
var effectiveMalware = empty(threatFoxMalware) ? 'win.netsupportmanager_rat' : threatFoxMalware
var effectiveSchedule = empty(syncSchedule) ? '0 5 * * * *' : syncSchedule

// Every workspace the app writes to, as resource ids: SENTINEL_WORKSPACES (sentinelWorkspaces),
// or the single workspace as a list of one.
var listedWorkspaceIds = filter(map(split(sentinelWorkspaces, ','), id => trim(id)), id => !empty(id))
var useWorkspaceList = !empty(listedWorkspaceIds)

// The Sentinel role assignment's name, computed once, here, from the workspace, the identity and
// the role only: the same inputs give the same name on every provision, so a second provision PUTs
// the same assignment (a no-op) instead of creating another, and an administrator who grants the
// role by hand can use this very name (output below; docs/deploy.md), after which turning
// assignSentinelRole back on cannot fail with RoleAssignmentExists. With a list, the outputs name
// its first workspace, and one name per workspace is derived the same way.
var sentinelWorkspaceId = useWorkspaceList
  ? listedWorkspaceIds[0]
  : resourceId(effectiveSentinelSubscriptionId, sentinelResourceGroup, 'Microsoft.OperationalInsights/workspaces', sentinelWorkspaceName)
var sentinelRoleAssignmentName = guid(sentinelWorkspaceId, identity.outputs.principalId, roleDefinitionIds.microsoftSentinelContributor)
var sentinelWorkspaceIds = useWorkspaceList ? listedWorkspaceIds : [sentinelWorkspaceId]
var sentinelRoleAssignmentNames = map(sentinelWorkspaceIds, id => guid(id, identity.outputs.principalId, roleDefinitionIds.microsoftSentinelContributor))

resource rg 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    threatFoxAuthKey: threatFoxAuthKey
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: effectivePrincipalType
  }
}

// One assignment per workspace, deployed into that workspace's resource group and subscription
// (resource id segments: /subscriptions/{2}/resourceGroups/{4}/providers/…/workspaces/{8}).
// Workspaces in another tenant (Azure Lighthouse) get the role through the Lighthouse offer instead:
// set assignSentinelRole false for them (docs/deploy.md).
module sentinelAccess 'modules/sentinelAccess.bicep' = [
  for (workspaceId, i) in sentinelWorkspaceIds: if (assignSentinelRole) {
    name: 'sentinelAccess-${i}-${resourceToken}'
    scope: resourceGroup(split(workspaceId, '/')[2], split(workspaceId, '/')[4])
    params: {
      workspaceName: last(split(workspaceId, '/'))
      identityPrincipalId: identity.outputs.principalId
      roleAssignmentName: sentinelRoleAssignmentNames[i]
    }
  }
]

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    threatFoxSecretName: keyVault.outputs.threatFoxSecretName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    syncSettings: {
      THREATFOX_API_URL: threatFoxApiUrl
      THREATFOX_MALWARE: effectiveMalware
      THREATFOX_DAYS: string(threatFoxDays)
      THREATFOX_LIMIT: string(threatFoxLimit)
      THREATFOX_TIMEOUT_MS: string(threatFoxTimeoutMs)
      THREATFOX_RECONCILE_BUDGET: string(threatFoxReconcileBudget)
      // Either the list or the single workspace: the app refuses both at once.
      SENTINEL_WORKSPACES: useWorkspaceList ? join(sentinelWorkspaceIds, ',') : ''
      AZURE_SUBSCRIPTION_ID: useWorkspaceList ? '' : effectiveSentinelSubscriptionId
      SENTINEL_RESOURCE_GROUP: useWorkspaceList ? '' : sentinelResourceGroup
      SENTINEL_WORKSPACE_NAME: useWorkspaceList ? '' : sentinelWorkspaceName
      SENTINEL_WORKSPACES_PER_SUBSCRIPTION: string(sentinelWorkspacesPerSubscription)
      SENTINEL_WRITE_PATH: sentinelWritePath
      SENTINEL_TI_UPLOAD_ENDPOINT: sentinelTiUploadEndpoint
      // The cloud's ARM endpoint (https://management.azure.com/ in public Azure; sovereign clouds differ).
      AZURE_RESOURCE_MANAGER_ENDPOINT: environment().resourceManager
      SENTINEL_API_VERSION: sentinelApiVersion
      INDICATOR_SOURCE: indicatorSource
      INDICATOR_TTL_DAYS: string(indicatorTtlDays)
      HUNTING_LOOKBACK: huntingLookback
      ARM_CONCURRENCY: string(armConcurrency)
      ARM_MAX_RETRIES: string(armMaxRetries)
      ARM_TIMEOUT_MS: string(armTimeoutMs)
      RUN_DEADLINE_SECONDS: string(runDeadlineSeconds)
      BENIGN_ALLOWLIST: benignAllowlist
      SYNC_SCHEDULE: effectiveSchedule
      LOG_LEVEL: logLevel
    }
  }
  // The host starts as soon as the app exists: its storage roles and the Key Vault role must be in
  // place first, or the first start fails and the Key Vault reference stays unresolved.
  dependsOn: [
    rbac
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APP_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APP_IDENTITY_CLIENT_ID string = identity.outputs.clientId
// For an administrator granting the Sentinel role by hand with the same name (docs/deploy.md).
output SENTINEL_WORKSPACE_ID string = sentinelWorkspaceId
output SENTINEL_ROLE_ASSIGNMENT_NAME string = sentinelRoleAssignmentName
// Every workspace and its assignment's name, comma-separated, in the same order (SENTINEL_WORKSPACES).
output SENTINEL_WORKSPACE_IDS string = join(sentinelWorkspaceIds, ',')
output SENTINEL_ROLE_ASSIGNMENT_NAMES string = join(sentinelRoleAssignmentNames, ',')
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
