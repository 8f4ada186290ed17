// Parameters for `az deployment group create --template-file infra/main.bicep --parameters infra/main.bicepparam`.
// No secret is written here: each one is read from the deploying user's environment at deployment time, and an unset
// variable passes an empty value, which leaves the secret already in Key Vault (if any) as it is.
using 'main.bicep'

param baseName = 'digest'
param storageNamePrefix = ''
param botAppServiceSku = 'B1'
param botSku = 'F0'
param botAppType = 'UserAssignedMSI'
param botAppId = readEnvironmentVariable('DIGEST_BOT_APP_ID', '')
param botAppPassword = readEnvironmentVariable('DIGEST_BOT_APP_PASSWORD', '')

param slackClientId = readEnvironmentVariable('DIGEST_SLACK_CLIENT_ID', '')
param slackSigningSecret = readEnvironmentVariable('DIGEST_SLACK_SIGNING_SECRET', '')
param slackClientSecret = readEnvironmentVariable('DIGEST_SLACK_CLIENT_SECRET', '')
param slackTokenEncryptionKey = readEnvironmentVariable('DIGEST_SLACK_TOKEN_ENCRYPTION_KEY', '')

param enableBotSlackChannel = false
param botSlackChannelClientId = readEnvironmentVariable('DIGEST_BOT_SLACK_CHANNEL_CLIENT_ID', '')
param botSlackChannelClientSecret = readEnvironmentVariable('DIGEST_BOT_SLACK_CHANNEL_CLIENT_SECRET', '')
param botSlackChannelVerificationToken = readEnvironmentVariable('DIGEST_BOT_SLACK_CHANNEL_VERIFICATION_TOKEN', '')
param botSlackChannelSigningSecret = readEnvironmentVariable('DIGEST_BOT_SLACK_CHANNEL_SIGNING_SECRET', '')
