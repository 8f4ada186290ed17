// The bot's host: App Service on Linux (B1 by default), not Container Apps, because
// - the bot is a plain ASP.NET Core app that `dotnet publish` + zip deploy puts on the built-in .NET 10 runtime, with no
//   container image and no registry to build, push and pay for;
// - it must answer the Bot Connector and Slack within seconds, so it is kept warm (Always On) rather than scaled to
//   zero, where a cold start would make Slack retry and Teams show an error; one small always-on instance is what
//   a Basic plan is;
// - App Service gives the rest natively: Key Vault references through the user-assigned identity, a health check on
//   /healthz that takes a sick instance out of rotation, HTTPS only with TLS 1.2, and no FTP.

param name string
param planName string
param location string

@description('The user-assigned managed identity of the app.')
param identityName string

@description('Settings both apps share (storage service URIs, bot, Slack, telemetry), as name/value pairs.')
param sharedSettings array

@allowed(['B1', 'B2', 'P0v3', 'P1v3'])
param skuName string = 'B1'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  kind: 'linux'
  sku: {
    name: skuName
  }
  properties: {
    reserved: true
  }
}

resource botApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'DOTNETCORE|10.0'
      alwaysOn: true
      http20Enabled: true
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      healthCheckPath: '/healthz'
      appSettings: sharedSettings
    }
  }
}

resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: botApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: botApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = botApp.name
output hostName string = botApp.properties.defaultHostName
