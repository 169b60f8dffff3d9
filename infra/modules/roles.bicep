// Built-in role definition ids, named once. Every role assignment in infra/ imports this map.
// Each id was checked against Microsoft's built-in roles reference (learn.microsoft.com/azure/
// role-based-access-control/built-in-roles); test/infra/infra.test.ts pins the same table.

@export()
@description('Built-in Azure role definition ids (GUIDs) used by this deployment.')
var roleDefinitionIds = {
  // Functions host with identity-based AzureWebJobsStorage: blob leases for the timer's singleton
  // lock, the host key store and container creation ("Storage Blob Data Owner covers the basic needs
  // of Functions host storage"). Also covers the Flex deployment-package container and the
  // claim-check blobs in threatfox-batches. The Functions docs name this role for host storage (Blob
  // Data Contributor may work too, but is not what the host is documented and tested against).
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Queue trigger (peek/get/delete), the host moving failures to threatfox-iocs-poison, and creating
  // a missing queue: Contributor is the documented role for queue output bindings.
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Put Message is authorised by messages/add/action; Microsoft documents Contributor + Sender for
  // queue output bindings, so the pair is granted together.
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  // Watermark and run history in the threatfoxstate table.
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Read the ThreatFox Auth-Key secret (Key Vault reference), scoped to the vault only.
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // Optional, for the deploying user only: lets them set the ThreatFox secret after `azd up`.
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  // Entra-authenticated telemetry into an Application Insights resource with local auth disabled.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // Sentinel workspace, upload write path only (SENTINEL_WRITE_PATH=upload): the role the STIX
  // objects upload API documents. The ARM path gets the narrower custom role built in
  // sentinelAccess.bicep from lib/sentinel/appRole.json instead.
  microsoftSentinelContributor: 'ab8e14d6-4a74-4a29-9ba8-549422addade'
}
