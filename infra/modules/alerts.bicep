// Alerts a SOC sees without reading logs: log search alert rules on the app's own Log Analytics
// workspace (workspace-based Application Insights writes AppRequests and AppTraces there).
//
//   run-failed     a function invocation failed (pullThreatFox, upsertToSentinel, sync): AppRequests, never sampled
//   batch-parked   a batch or an invalid IOC was parked in threatfox-iocs-poison: the app's and the host's log lines name the queue
//   no-success     no pull finished with status succeeded within noSuccessWindow (default PT2H: twice the hourly schedule)
//
// The app's log lines are pino JSON in AppTraces.Message ("msg":"pull finished","status":"succeeded";
// "queue":"threatfox-iocs-poison"): lib/jobs/pull.ts and lib/jobs/upsert.ts write them.

param location string
param tags object = {}

@description('The app\'s Log Analytics workspace (the one Application Insights writes to).')
param logAnalyticsWorkspaceId string

@description('Name prefix of the rules, e.g. the Function App\'s name.')
param namePrefix string

@description('How long without a successful pull before alerting: twice the SYNC_SCHEDULE interval.')
@allowed([
  'PT2H'
  'PT4H'
  'PT6H'
  'P1D'
  'P2D'
])
param noSuccessWindow string = 'PT2H'

@description('Optional: e-mail address that gets the alerts (an action group is created for it).')
param alertEmail string = ''

@description('Optional: resource id of an existing action group to notify as well.')
param actionGroupId string = ''

var poisonQueue = 'threatfox-iocs-poison'

resource emailGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-alerts'
  location: 'global'
  tags: tags
  properties: {
    enabled: true
    groupShortName: 'tfsync'
    emailReceivers: [
      {
        name: 'soc'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroups = concat(empty(actionGroupId) ? [] : [actionGroupId], empty(alertEmail) ? [] : [emailGroup.id])

var rules = [
  {
    name: 'run-failed'
    displayName: 'ThreatFox sync: a run failed'
    description: 'A pullThreatFox, upsertToSentinel or sync invocation failed. Its log lines (AppTraces, same operation id) and run history (table threatfoxstate) say why.'
    severity: 2
    windowSize: 'PT15M'
    evaluationFrequency: 'PT15M'
    query: 'AppRequests\n| where Name in ("pullThreatFox", "upsertToSentinel", "sync") and Success == false\n| project TimeGenerated, Name, ResultCode, OperationId'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'batch-parked'
    displayName: 'ThreatFox sync: a batch was parked in ${poisonQueue}'
    description: 'A batch failed for the last time, or a malformed batch or an invalid IOC was set aside, in the queue ${poisonQueue}. The IOCs come again with the next full pull; look at the message and the log line.'
    severity: 2
    windowSize: 'PT15M'
    evaluationFrequency: 'PT15M'
    query: 'AppTraces\n| where Message contains "${poisonQueue}"\n| project TimeGenerated, Message, OperationId'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'no-success'
    displayName: 'ThreatFox sync: no successful run in ${noSuccessWindow}'
    description: 'No pullThreatFox run finished with status succeeded in the window (twice the schedule): the timer, ThreatFox or the key may be failing, and Sentinel is getting no new indicators.'
    severity: 1
    windowSize: noSuccessWindow
    evaluationFrequency: 'PT1H'
    query: 'AppTraces\n| where Message contains "pull finished" and Message contains \'"status":"succeeded"\'\n| project TimeGenerated, Message'
    operator: 'LessThan'
    threshold: 1
  }
]

resource rule 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for r in rules: {
    name: '${namePrefix}-${r.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: r.displayName
      description: r.description
      severity: r.severity
      enabled: true
      scopes: [
        logAnalyticsWorkspaceId
      ]
      windowSize: r.windowSize
      evaluationFrequency: r.evaluationFrequency
      criteria: {
        allOf: [
          {
            query: r.query
            timeAggregation: 'Count'
            operator: r.operator
            threshold: r.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: actionGroups
      }
    }
  }
]

output ruleNames array = [for (r, i) in rules: rule[i].name]
