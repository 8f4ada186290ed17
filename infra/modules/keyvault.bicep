// Key Vault for the apps' secrets, authorised by Azure RBAC only (no access policies). A secret is written here
// only when its @secure() parameter is given; left empty, a secret set earlier (by a previous deployment or
// `az keyvault secret set`) is kept as it is. The apps read them through Key Vault references in app settings.

param name string
param location string

@description('The user-assigned managed identity that reads the secrets (Key Vault Secrets User).')
param identityName string

@description('Client secret of a SingleTenant bot app registration; empty to leave the secret alone.')
@secure()
param botAppPassword string

@description('Signing secret of the native Slack app; empty to leave the secret alone.')
@secure()
param slackSigningSecret string

@description('Client secret of the native Slack app; empty to leave the secret alone.')
@secure()
param slackClientSecret string

@description('Key that encrypts stored Slack bot tokens; empty to leave the secret alone.')
@secure()
param slackTokenEncryptionKey string

var botAppPasswordName = 'bot-app-password'
var slackSigningSecretName = 'slack-signing-secret'
var slackClientSecretName = 'slack-client-secret'
var slackTokenEncryptionKeyName = 'slack-token-encryption-key'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
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
    publicNetworkAccess: 'Enabled'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, '4633458b-17de-408a-b874-0445c86b69e6')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource botAppPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(botAppPassword)) {
  parent: vault
  name: botAppPasswordName
  properties: {
    value: botAppPassword
  }
}

resource slackSigningSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackSigningSecret)) {
  parent: vault
  name: slackSigningSecretName
  properties: {
    value: slackSigningSecret
  }
}

resource slackClientSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackClientSecret)) {
  parent: vault
  name: slackClientSecretName
  properties: {
    value: slackClientSecret
  }
}

resource slackTokenEncryptionKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackTokenEncryptionKey)) {
  parent: vault
  name: slackTokenEncryptionKeyName
  properties: {
    value: slackTokenEncryptionKey
  }
}

output name string = vault.name

// Key Vault references for app settings; versionless, so that a rotated secret reaches the apps without a redeployment.
output appSettingReferences object = {
  botAppPassword: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${botAppPasswordName})'
  slackSigningSecret: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${slackSigningSecretName})'
  slackClientSecret: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${slackClientSecretName})'
  slackTokenEncryptionKey: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${slackTokenEncryptionKeyName})'
}
