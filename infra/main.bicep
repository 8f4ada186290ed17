// Digest on Azure: one resource group with the Function App (crawl, parse, notify, deliver), the bot's web app, their
// storage, Key Vault, telemetry and the Azure Bot registration. Every app reaches storage, Key Vault and Application
// Insights as one user-assigned managed identity; no account key or connection string with a key exists anywhere, and
// no secret is in this repository: secrets come in as @secure() parameters (see main.bicepparam) and live in Key Vault.

targetScope = 'resourceGroup'

@description('Short name used in every resource name.')
@minLength(2)
@maxLength(12)
param baseName string = 'digest'

param location string = resourceGroup().location

@description('Storage account name (globally unique, 3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param storageAccountName string = 'st${uniqueString(resourceGroup().id, baseName)}'

@description('Key Vault name (globally unique, 3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param keyVaultName string = 'kv-${uniqueString(resourceGroup().id, baseName)}'

@description('Prefix for Digest\'s table and container names (Storage:NamePrefix).')
param storageNamePrefix string = ''

@description('App Service plan of the bot.')
@allowed(['B1', 'B2', 'P0v3', 'P1v3'])
param botAppServiceSku string = 'B1'

@description('Azure Bot pricing tier (F0: free, standard channels only).')
@allowed(['F0', 'S1'])
param botSku string = 'F0'

@description('The bot\'s identity: the user-assigned managed identity (no secret), or a SingleTenant app registration (botAppId and botAppPassword).')
@allowed(['UserAssignedMSI', 'SingleTenant'])
param botAppType string = 'UserAssignedMSI'

@description('Client id of the SingleTenant app registration; ignored for UserAssignedMSI.')
param botAppId string = ''

@description('Client secret of the SingleTenant app registration, stored in Key Vault; empty keeps the stored one.')
@secure()
param botAppPassword string

@description('Client id of the native Slack app (/api/slack/*); empty leaves Slack off.')
param slackClientId string = ''

@description('Signing secret of the native Slack app, stored in Key Vault; empty keeps the stored one.')
@secure()
param slackSigningSecret string

@description('Client secret of the native Slack app, stored in Key Vault; empty keeps the stored one.')
@secure()
param slackClientSecret string

@description('Key that encrypts stored Slack bot tokens, stored in Key Vault; empty keeps the stored one.')
@secure()
param slackTokenEncryptionKey string

@description('Also connect Slack through Azure Bot Service\'s Slack channel (a separate Slack app pointed at Bot Service).')
param enableBotSlackChannel bool = false

@description('Client id of the Slack app used by the Bot Service Slack channel.')
param botSlackChannelClientId string = ''

@secure()
param botSlackChannelClientSecret string

@secure()
param botSlackChannelVerificationToken string

@secure()
param botSlackChannelSigningSecret string

var token = uniqueString(resourceGroup().id, baseName)
var deploymentContainerName = 'app-package'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${baseName}-${token}'
  location: location
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    identityName: identity.name
    deploymentContainerName: deploymentContainerName
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: 'log-${baseName}-${token}'
    appInsightsName: 'appi-${baseName}-${token}'
    location: location
    identityName: identity.name
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyVault'
  params: {
    name: keyVaultName
    location: location
    identityName: identity.name
    botAppPassword: botAppPassword
    slackSigningSecret: slackSigningSecret
    slackClientSecret: slackClientSecret
    slackTokenEncryptionKey: slackTokenEncryptionKey
  }
}

var usesManagedIdentityBot = botAppType == 'UserAssignedMSI'

// What both apps read (names as in README's configuration table, `__` for `:`).
var commonSettings = [
  { name: 'Storage__BlobServiceUri', value: storage.outputs.blobServiceUri }
  { name: 'Storage__TableServiceUri', value: storage.outputs.tableServiceUri }
  { name: 'Storage__QueueServiceUri', value: storage.outputs.queueServiceUri }
  { name: 'Storage__ManagedIdentityClientId', value: identity.properties.clientId }
  { name: 'Storage__NamePrefix', value: storageNamePrefix }
  { name: 'Bot__AppType', value: botAppType }
  { name: 'Bot__AppId', value: usesManagedIdentityBot ? identity.properties.clientId : botAppId }
  { name: 'Bot__TenantId', value: tenant().tenantId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: monitoring.outputs.appInsightsConnectionString }
  // Telemetry is sent with the identity's Entra ID token: the resource accepts nothing else.
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identity.properties.clientId}' }
]

var botPasswordSettings = usesManagedIdentityBot
  ? []
  : [{ name: 'Bot__AppPassword', value: keyVault.outputs.appSettingReferences.botAppPassword }]

var slackSettings = empty(slackClientId)
  ? []
  : [
      { name: 'Slack__ClientId', value: slackClientId }
      { name: 'Slack__SigningSecret', value: keyVault.outputs.appSettingReferences.slackSigningSecret }
      { name: 'Slack__ClientSecret', value: keyVault.outputs.appSettingReferences.slackClientSecret }
      {
        name: 'Slack__TokenEncryptionKey'
        value: keyVault.outputs.appSettingReferences.slackTokenEncryptionKey
      }
    ]

var sharedSettings = concat(commonSettings, botPasswordSettings, slackSettings)

// The Function App's own: its triggers' settings (the Functions host reads them from app settings only) and the queue
// trigger's identity-based connection, the Storage section itself (README, "The Function App").
var functionSettings = [
  { name: 'Schedules__SnapshotDigests', value: '0 */15 * * * *' }
  { name: 'Schedules__ParseAndDiff', value: '30 1-59/15 * * * *' }
  { name: 'Schedules__NotifySubscribers', value: '0 5-59/15 * * * *' }
  { name: 'Storage__DeliveryQueue', value: '${storageNamePrefix}deliveries' }
  { name: 'Storage__credential', value: 'managedidentity' }
  { name: 'Storage__clientId', value: identity.properties.clientId }
  { name: 'Delivery__Enabled', value: 'true' }
]

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionApp'
  params: {
    name: 'func-${baseName}-${token}'
    planName: 'plan-${baseName}-func-${token}'
    location: location
    identityName: identity.name
    identityClientId: identity.properties.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUri: storage.outputs.deploymentContainerUri
    sharedSettings: concat(sharedSettings, functionSettings)
  }
}

module botApp 'modules/botapp.bicep' = {
  name: 'botApp'
  params: {
    name: 'app-${baseName}-bot-${token}'
    planName: 'plan-${baseName}-bot-${token}'
    location: location
    identityName: identity.name
    skuName: botAppServiceSku
    sharedSettings: sharedSettings
  }
}

module azureBot 'modules/azurebot.bicep' = {
  name: 'azureBot'
  params: {
    name: 'bot-${baseName}-${token}'
    sku: botSku
    endpoint: 'https://${botApp.outputs.hostName}/api/messages'
    appType: botAppType
    tenantId: tenant().tenantId
    identityName: identity.name
    singleTenantAppId: botAppId
    enableSlackChannel: enableBotSlackChannel
    slackChannelClientId: botSlackChannelClientId
    slackChannelClientSecret: botSlackChannelClientSecret
    slackChannelVerificationToken: botSlackChannelVerificationToken
    slackChannelSigningSecret: botSlackChannelSigningSecret
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.hostName
output botAppName string = botApp.outputs.name
output botAppHostName string = botApp.outputs.hostName
output botMessagingEndpoint string = 'https://${botApp.outputs.hostName}/api/messages'
output botResourceName string = azureBot.outputs.name
output botAppId string = azureBot.outputs.appId
output identityClientId string = identity.properties.clientId
output storageAccountName string = storage.outputs.name
output keyVaultName string = keyVault.outputs.name
output appInsightsName string = monitoring.outputs.appInsightsName
