// Key Vault for the ThreatFox Auth-Key. RBAC authorisation only (no access policies); soft delete
// and purge protection on, so a deleted secret or vault can be recovered but never purged early.

param name string
param location string
param tags object = {}

@description('Name of the secret that holds the ThreatFox Auth-Key.')
param threatFoxSecretName string = 'threatfox-auth-key'

@secure()
@description('ThreatFox Auth-Key. Empty: no secret is written now; set it later (docs/deploy.md).')
param threatFoxAuthKey string = ''

@description('The app\'s Log Analytics workspace: Key Vault audit events (every secret read or write, by whom) go there.')
param logAnalyticsWorkspaceId string

@description('Whether the vault already holds the secret (the preprovision hook looks): then it is never written again.')
param threatFoxSecretExists bool = false

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// Written once: only when a key is supplied AND the vault does not hold the secret yet (Bicep cannot
// look; scripts/hooks/preprovision.js does and sets THREATFOX_SECRET_EXISTS). A key rotated in the
// vault is never overwritten by a later provision, and a provision without a key changes nothing.
resource threatFoxSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(threatFoxAuthKey) && !threatFoxSecretExists) {
  parent: vault
  name: threatFoxSecretName
  properties: {
    value: threatFoxAuthKey
    contentType: 'text/plain'
  }
}

// Audit events (AuditEvent: each secret get, set and list, with the caller's identity and IP) in the
// app's Log Analytics workspace, resource-specific table AZKVAuditLogs.
resource auditToLogAnalytics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
output threatFoxSecretName string = threatFoxSecretName
