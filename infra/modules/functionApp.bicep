// The Azure Functions app on the Flex Consumption plan (FC1, Linux), running Node.js 22.
// Every app setting the code reads is set here, in one object, so infra and lib/config.ts agree
// (test/infra/infra.test.ts checks it). Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE: the runtime comes from functionAppConfig.

param name string
param planName string
param location string
param tags object = {}

@description('azd deploys the service whose azd-service-name tag matches azure.yaml.')
param serviceName string = 'api'

@description('Resource id of the user-assigned identity used for everything.')
param identityId string
param identityClientId string

param storageAccountName string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerName string

param applicationInsightsConnectionString string

@description('The app\'s Log Analytics workspace: the Function App\'s platform logs (FunctionAppLogs) go there.')
param logAnalyticsWorkspaceId string

@description('Vault URI (ends with /) and the secret holding the ThreatFox Auth-Key.')
param keyVaultUri string
param threatFoxSecretName string

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// Set by main.bicep (default 40, the lowest cap every region accepts). Each instance keeps up to
// ARM_CONCURRENCY writes in flight; there is no app-wide lock.
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

// Typed, so a setting main.bicep forgets to pass is a compile error, not a missing env var.
type syncSettingsType = {
  THREATFOX_API_URL: string
  THREATFOX_MALWARE: string
  THREATFOX_DAYS: string
  THREATFOX_LIMIT: string
  THREATFOX_TIMEOUT_MS: string
  THREATFOX_RECONCILE_BUDGET: string
  SENTINEL_WORKSPACES: string
  AZURE_SUBSCRIPTION_ID: string
  SENTINEL_RESOURCE_GROUP: string
  SENTINEL_WORKSPACE_NAME: string
  SENTINEL_WORKSPACES_PER_SUBSCRIPTION: string
  SENTINEL_WRITE_PATH: string
  SENTINEL_TI_UPLOAD_ENDPOINT: string
  LOG_ANALYTICS_ENDPOINT: string
  AZURE_RESOURCE_MANAGER_ENDPOINT: string
  SENTINEL_API_VERSION: string
  INDICATOR_SOURCE: string
  INDICATOR_TTL_DAYS: string
  HUNTING_LOOKBACK: string
  ARM_CONCURRENCY: string
  ARM_MAX_RETRIES: string
  ARM_TIMEOUT_MS: string
  RUN_DEADLINE_SECONDS: string
  BENIGN_ALLOWLIST: string
  SYNC_SCHEDULE: string
  LOG_LEVEL: string
}

@description('Settings the app reads (lib/config.ts, SYNC_SCHEDULE, LOG_LEVEL), already resolved by main.bicep.')
param syncSettings syncSettingsType

var appSettings = {
  // Identity-based host storage (no connection string, no key). __accountName is kept beside the
  // service URIs so the app's own Blob/Queue/Table clients can find the account the same way.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId

  // DefaultAzureCredential in the app: use the user-assigned identity, and nothing else.
  AZURE_CLIENT_ID: identityClientId
  AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential'

  // Application Insights with local auth disabled: Entra ingestion as the same identity.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

  // ThreatFox. The key never appears in the template output: the setting is a Key Vault reference
  // resolved by the platform with keyVaultReferenceIdentity. Versionless URI: a rotated secret is
  // picked up on the next reference refresh (or app restart).
  THREATFOX_API_URL: syncSettings.THREATFOX_API_URL
  THREATFOX_AUTH_KEY: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${threatFoxSecretName}/)'
  THREATFOX_MALWARE: syncSettings.THREATFOX_MALWARE
  THREATFOX_DAYS: syncSettings.THREATFOX_DAYS
  THREATFOX_LIMIT: syncSettings.THREATFOX_LIMIT
  THREATFOX_TIMEOUT_MS: syncSettings.THREATFOX_TIMEOUT_MS
  THREATFOX_RECONCILE_BUDGET: syncSettings.THREATFOX_RECONCILE_BUDGET

  // Microsoft Sentinel target: a list of workspaces, or the single one.
  SENTINEL_WORKSPACES: syncSettings.SENTINEL_WORKSPACES
  AZURE_SUBSCRIPTION_ID: syncSettings.AZURE_SUBSCRIPTION_ID
  SENTINEL_RESOURCE_GROUP: syncSettings.SENTINEL_RESOURCE_GROUP
  SENTINEL_WORKSPACE_NAME: syncSettings.SENTINEL_WORKSPACE_NAME
  SENTINEL_WORKSPACES_PER_SUBSCRIPTION: syncSettings.SENTINEL_WORKSPACES_PER_SUBSCRIPTION
  SENTINEL_WRITE_PATH: syncSettings.SENTINEL_WRITE_PATH
  SENTINEL_TI_UPLOAD_ENDPOINT: syncSettings.SENTINEL_TI_UPLOAD_ENDPOINT
  LOG_ANALYTICS_ENDPOINT: syncSettings.LOG_ANALYTICS_ENDPOINT
  AZURE_RESOURCE_MANAGER_ENDPOINT: syncSettings.AZURE_RESOURCE_MANAGER_ENDPOINT
  SENTINEL_API_VERSION: syncSettings.SENTINEL_API_VERSION
  INDICATOR_SOURCE: syncSettings.INDICATOR_SOURCE
  INDICATOR_TTL_DAYS: syncSettings.INDICATOR_TTL_DAYS
  HUNTING_LOOKBACK: syncSettings.HUNTING_LOOKBACK
  ARM_CONCURRENCY: syncSettings.ARM_CONCURRENCY
  ARM_MAX_RETRIES: syncSettings.ARM_MAX_RETRIES
  ARM_TIMEOUT_MS: syncSettings.ARM_TIMEOUT_MS
  RUN_DEADLINE_SECONDS: syncSettings.RUN_DEADLINE_SECONDS
  BENIGN_ALLOWLIST: syncSettings.BENIGN_ALLOWLIST

  // Runtime behaviour.
  SYNC_SCHEDULE: syncSettings.SYNC_SCHEDULE
  LOG_LEVEL: syncSettings.LOG_LEVEL
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}

// azd deploys to Flex Consumption with an Entra token, so publishing with basic credentials is off.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// The host's and the functions' logs as the platform sees them (FunctionAppLogs: every invocation,
// host start-up and errors, Key Vault reference resolution) beside Application Insights' telemetry,
// which samples; resource-specific tables in the same workspace.
resource logsToLogAnalytics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-log-analytics'
  scope: site
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
