// The Azure Bot registration: the bot's identity for the Bot Connector and its channels (Microsoft Teams, and
// optionally Slack through Bot Service). MultiTenant registrations can no longer be created, so the bot is either the
// user-assigned managed identity (no secret at all) or a SingleTenant app registration whose secret is in Key Vault.

param name string

@allowed(['F0', 'S1'])
param sku string

@description('The bot\'s messaging endpoint: https://<bot host>/api/messages.')
param endpoint string

@allowed(['UserAssignedMSI', 'SingleTenant'])
param appType string

@description('The Entra tenant of the bot\'s identity.')
param tenantId string

@description('The user-assigned managed identity (the bot\'s identity when appType is UserAssignedMSI).')
param identityName string

@description('The app registration\'s client id when appType is SingleTenant.')
param singleTenantAppId string

@description('Add the Slack channel of Bot Service (a Slack app whose event and interactivity URLs point at Bot Service).')
param enableSlackChannel bool

param slackChannelClientId string

@secure()
param slackChannelClientSecret string

@secure()
param slackChannelVerificationToken string

@secure()
param slackChannelSigningSecret string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

var usesManagedIdentity = appType == 'UserAssignedMSI'

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: name
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: sku
  }
  properties: {
    displayName: name
    endpoint: endpoint
    msaAppType: appType
    msaAppId: usesManagedIdentity ? identity.properties.clientId : singleTenantAppId
    msaAppMSIResourceId: usesManagedIdentity ? identity.id : null
    msaAppTenantId: tenantId
    publicNetworkAccess: 'Enabled'
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
      enableCalling: false
    }
  }
}

resource slack 'Microsoft.BotService/botServices/channels@2022-09-15' = if (enableSlackChannel) {
  parent: bot
  name: 'SlackChannel'
  location: 'global'
  properties: {
    channelName: 'SlackChannel'
    properties: {
      isEnabled: true
      clientId: slackChannelClientId
      clientSecret: slackChannelClientSecret
      verificationToken: slackChannelVerificationToken
      signingSecret: slackChannelSigningSecret
    }
  }
}

output name string = bot.name
output appId string = bot.properties.msaAppId
