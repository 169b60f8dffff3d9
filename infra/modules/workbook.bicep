// The SOC's view of the app: a workbook built from infra/workbook/threatfox-sync.workbook.json (the
// same file a SOC can import into Sentinel: Workbooks > Add workbook > Advanced editor), with its
// workspace pickers preset to this deployment's Sentinel workspace and the app's own workspace.

param location string
param tags object = {}

@description('Workbook display name (unique per deployment).')
param displayName string

@description('The Sentinel workspace the workbook opens on (its sourceId: it is listed under that workspace\'s workbooks).')
param sentinelWorkspaceId string

@description('The app\'s own Log Analytics workspace (runs and log lines).')
param appWorkspaceId string

@description('INDICATOR_SOURCE: the source our indicators carry.')
param indicatorSource string

var template = loadJsonContent('../workbook/threatfox-sync.workbook.json')
// Parameters of the workbook set here; the file leaves the workspaces empty for a SOC to pick.
var presets = {
  SentinelWorkspace: sentinelWorkspaceId
  AppWorkspace: appWorkspaceId
  Source: indicatorSource
}
var parametersItem = template.items[0]
var parameters = map(parametersItem.content.parameters, p => contains(presets, p.name) ? union(p, { value: presets[p.name] }) : p)
var workbookContent = union(template, {
  items: concat([union(parametersItem, { content: union(parametersItem.content, { parameters: parameters }) })], skip(template.items, 1))
})

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'threatfox-sync-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'sentinel'
    sourceId: sentinelWorkspaceId
    version: 'Notebook/1.0'
    serializedData: string(workbookContent)
  }
}

output id string = workbook.id
