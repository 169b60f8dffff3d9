// threatfox-sentinel-sync: everything `azd up` creates, in one resource group, plus one role
// assignment on the existing Microsoft Sentinel workspace (which may live elsewhere).
//
//   rg-<env>/  id-… (user-assigned identity)   st… (storage: host, package, queues, table, batches)
//              kv-… (ThreatFox key)            log-…/appi-… (the app's own telemetry)
//              plan-…/func-… (Flex Consumption, Node 22)
//   <sentinel rg>/<workspace>: on every listed workspace, the identity gets the custom role
//   "ThreatFox Sentinel Sync" (SENTINEL_WRITE_PATH=arm; defined in that resource group from
//   lib/sentinel/appRole.json) or Microsoft Sentinel Contributor (upload)

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

// The one input azd asks for (no default, and main.parameters.json maps it from SENTINEL_WORKSPACES).
@minLength(1)
@description('Microsoft Sentinel workspace(s) to write to: Log Analytics workspace resource ids, comma-separated (one is fine), in any subscription or, through Azure Lighthouse, tenant. Find one with: az monitor log-analytics workspace show -g <resource group> -n <workspace> --query id -o tsv')
param sentinelWorkspaces string

@allowed([
  'arm'
  'upload'
])
@description('How indicators are written: arm (one ARM call each) or upload (the STIX objects upload API, 100 a request; docs/deploy.md).')
param sentinelWritePath string = 'arm'

@description('The STIX objects upload API (sentinelWritePath upload).')
param sentinelTiUploadEndpoint string = 'https://api.ti.sentinel.azure.com'

@description('The Azure Monitor Logs query API the preflight check runs the hunting queries through (other clouds have their own).')
param logAnalyticsEndpoint string = 'https://api.loganalytics.io'

@minValue(1)
@maxValue(16)
@description('Workspaces of one subscription synced at once (ARM throttles writes per subscription).')
param sentinelWorkspacesPerSubscription int = 1

@description('Grant the app its Sentinel role on each workspace (the custom role for arm, Microsoft Sentinel Contributor for upload). Needs Owner/User Access Administrator (role definitions and assignments) and Microsoft.Resources/deployments/write there; set false (azd env set ASSIGN_SENTINEL_ROLE false, remembered by the azd environment) if an admin grants it (docs/deploy.md).')
param assignSentinelRole bool = true

@secure()
@description('ThreatFox Auth-Key (https://auth.abuse.ch/), from `azd env set-secret THREATFOX_AUTH_KEY` (never plain `azd env set`). Written to Key Vault only while the secret does not exist. Empty: set the Key Vault secret after deployment.')
param threatFoxAuthKey string = ''

@description('Set by scripts/hooks/preprovision.js (THREATFOX_SECRET_EXISTS): the vault already holds the key, so it is not written again.')
param threatFoxSecretExists bool = false

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

// 40: the lowest cap every Flex Consumption region accepts (Microsoft's docs now give 1, but 40 was
// the documented minimum and some regions still refuse less). There is no app-wide write lock: each
// instance keeps ARM_CONCURRENCY writes in flight, so ARM can see instances x ARM_CONCURRENCY at
// once and answers the excess with 429 + Retry-After, which the SDK waits out (billed as execution
// time). The queue function is the one that scales; lower the cap where the region allows it
// (`azd env set MAXIMUM_INSTANCE_COUNT 4`; docs/deploy.md, "Scale").
@description('Flex Consumption scale-out cap (per function group). 40 is accepted in every region; each instance keeps ARM_CONCURRENCY writes in flight, so lower it where the region allows (docs/deploy.md).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Optional (ALERT_EMAIL): e-mail address the app\'s alerts go to (an action group is created for it).')
param alertEmail string = ''

@description('Optional (ALERT_ACTION_GROUP_ID): resource id of an existing action group the app\'s alerts notify.')
param alertActionGroupId string = ''

@description('ALERT_NO_SUCCESS_WINDOW: alert when no pull succeeded for this long; twice the SYNC_SCHEDULE interval (PT2H for the hourly default).')
@allowed([
  'PT2H'
  'PT4H'
  'PT6H'
  'P1D'
  'P2D'
])
param alertNoSuccessWindow string = 'PT2H'

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
// Flex Consumption deploys the package to this container (name <= 63 chars, lower case).
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

// azd substitutes an unset environment variable with '': treat '' as "use the default".
var effectivePrincipalType = empty(principalType) ? 'User' : principalType
var effectiveMalware = empty(threatFoxMalware) ? 'win.netsupportmanager_rat' : threatFoxMalware
var effectiveSchedule = empty(syncSchedule) ? '0 5 * * * *' : syncSchedule

// Every workspace the app writes to, as resource ids (blanks and spaces around commas dropped).
var sentinelWorkspaceIds = filter(map(split(sentinelWorkspaces, ','), id => trim(id)), id => !empty(id))
// The first one, named in the outputs for a single-workspace deployment and the admin's commands.
var sentinelWorkspaceId = sentinelWorkspaceIds[0]

// The Sentinel role assignments' names come from the workspace, the identity and the role only:
// the same inputs give the same name on every provision, so a second provision PUTs the same
// assignment (a no-op) instead of creating another, and an administrator who grants the role by
// hand can use this very name (outputs below; docs/deploy.md), after which turning
// assignSentinelRole back on cannot fail with RoleAssignmentExists. Each name is computed where it
// is used (the module loop, the outputs), never through a lambda over a module output
// (Azure/bicep#9227). The role is part of the name: moving between write paths creates the other
// role's assignment instead of failing to change the role of an existing one.
var sentinelRoleKey = sentinelWritePath == 'arm' ? 'threatfox-sentinel-sync' : roleDefinitionIds.microsoftSentinelContributor

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

// A failed run, a parked batch, no successful run in alertNoSuccessWindow (docs/deploy.md, "Alerts").
module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
    namePrefix: functionAppName
    noSuccessWindow: alertNoSuccessWindow
    alertEmail: alertEmail
    actionGroupId: alertActionGroupId
  }
}

// The SOC's view: our indicators, runs and hits (docs/deploy.md, "Workbook"); also importable as a file.
module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    displayName: 'ThreatFox Sentinel Sync (${environmentName})'
    sentinelWorkspaceId: sentinelWorkspaceId
    appWorkspaceId: monitoring.outputs.logAnalyticsId
    indicatorSource: indicatorSource
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
    threatFoxSecretExists: threatFoxSecretExists
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
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
// set assignSentinelRole false for them (docs/deploy.md). One at a time: workspaces that share a
// resource group share its custom role definition, which two parallel PUTs could trip over.
@batchSize(1)
module sentinelAccess 'modules/sentinelAccess.bicep' = [
  for (workspaceId, i) in sentinelWorkspaceIds: if (assignSentinelRole) {
    name: 'sentinelAccess-${i}-${resourceToken}'
    scope: resourceGroup(split(workspaceId, '/')[2], split(workspaceId, '/')[4])
    params: {
      workspaceName: last(split(workspaceId, '/'))
      identityPrincipalId: identity.outputs.principalId
      roleAssignmentName: guid(workspaceId, identity.outputs.principalId, sentinelRoleKey)
      writePath: sentinelWritePath
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
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
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
      // Always the list (a list of one is fine); the single-workspace settings stay empty, as the app
      // refuses both at once.
      SENTINEL_WORKSPACES: join(sentinelWorkspaceIds, ',')
      AZURE_SUBSCRIPTION_ID: ''
      SENTINEL_RESOURCE_GROUP: ''
      SENTINEL_WORKSPACE_NAME: ''
      SENTINEL_WORKSPACES_PER_SUBSCRIPTION: string(sentinelWorkspacesPerSubscription)
      SENTINEL_WRITE_PATH: sentinelWritePath
      SENTINEL_TI_UPLOAD_ENDPOINT: sentinelTiUploadEndpoint
      LOG_ANALYTICS_ENDPOINT: logAnalyticsEndpoint
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
// For an administrator granting the Sentinel role by hand with the same name (docs/deploy.md), and
// for the predown hook that removes the app's roles before `azd down` deletes the identity.
output SENTINEL_WORKSPACE_ID string = sentinelWorkspaceId
output SENTINEL_ROLE_ASSIGNMENT_NAME string = guid(sentinelWorkspaceId, identity.outputs.principalId, sentinelRoleKey)
output SENTINEL_WRITE_PATH string = sentinelWritePath
// Every workspace (comma-separated) and its assignment's name (a JSON array in the azd environment), in the same order.
output SENTINEL_WORKSPACE_IDS string = join(sentinelWorkspaceIds, ',')
output SENTINEL_ROLE_ASSIGNMENT_NAMES array = [for id in sentinelWorkspaceIds: guid(id, identity.outputs.principalId, sentinelRoleKey)]
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
