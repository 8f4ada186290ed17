using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Shouldly;

namespace Digest.Tests.Infra;

/// <summary>
/// What the compiled deployment template promises about secrets and access: no secret value or account key anywhere,
/// shared-key access off, and every path to storage, Key Vault and telemetry an Entra ID role of the one managed identity.
/// </summary>
public sealed partial class MainTemplateTests(CompiledMainTemplate compiled) : IClassFixture<CompiledMainTemplate>
{
    private const string StorageAccountType = "Microsoft.Storage/storageAccounts";
    private const string RoleAssignmentType = "Microsoft.Authorization/roleAssignments";
    private const string SiteType = "Microsoft.Web/sites";

    [Fact]
    public void Parameters_SecureOnes_HaveNoDefaultValue()
    {
        var secure = compiled.AllTemplates()
            .SelectMany(template => template.Parameters.Select(parameter => (Template: template.Name, parameter.Name, parameter.Definition)))
            .Where(parameter => parameter.Definition["type"]!.GetValue<string>() is "securestring" or "secureObject")
            .ToList();

        secure.Select(parameter => parameter.Name).ShouldContain("botAppPassword");
        secure.Select(parameter => parameter.Name).ShouldContain("slackChannelSigningSecret");
        secure.Where(parameter => parameter.Definition.ContainsKey("defaultValue"))
            .Select(parameter => $"{parameter.Template}.{parameter.Name}")
            .ShouldBeEmpty();
    }

    [Fact]
    public void Parameters_NamedLikeSecrets_AreSecure()
    {
        compiled.AllTemplates()
            .SelectMany(template => template.Parameters.Select(parameter => (Template: template.Name, parameter.Name, parameter.Definition)))
            .Where(parameter => SecretLikeName().IsMatch(parameter.Name))
            .Where(parameter => parameter.Definition["type"]!.GetValue<string>() is not ("securestring" or "secureObject"))
            .Select(parameter => $"{parameter.Template}.{parameter.Name}")
            .ShouldBeEmpty();
    }

    [Fact]
    public void Template_Text_HasNoAccountKeysOrKeyBearingConnectionStrings()
    {
        compiled.Text.ShouldNotContain("listKeys(", Case.Insensitive);
        compiled.Text.ShouldNotContain("listAccountSas(", Case.Insensitive);
        compiled.Text.ShouldNotContain("listServiceSas(", Case.Insensitive);
        compiled.Text.ShouldNotContain("AccountKey=", Case.Insensitive);
        compiled.Text.ShouldNotContain("SharedAccessSignature=", Case.Insensitive);
        compiled.Text.ShouldNotContain("SharedAccessKey=", Case.Insensitive);
    }

    [Fact]
    public void KeyVaultSecrets_Values_ComeOnlyFromSecureParametersWhenGiven()
    {
        var secrets = compiled.AllResources("Microsoft.KeyVault/vaults/secrets").ToList();

        secrets.Count.ShouldBe(4);
        foreach (var secret in secrets)
        {
            var value = secret.Property("value")!.GetValue<string>();
            var parameter = ParameterReference().Match(value);
            parameter.Success.ShouldBeTrue($"{secret.String("name")} takes its value from a parameter, not {value}");
            var name = parameter.Groups[1].Value;
            secret.Template.Parameters.Single(p => p.Name == name).Definition["type"]!.GetValue<string>().ShouldBe("securestring");
            secret.String("condition").ShouldBe($"[not(empty(parameters('{name}')))]", "an empty parameter writes no secret");
        }
    }

    [Fact]
    public void StorageAccounts_SharedKeyAccess_IsDisabled()
    {
        var accounts = compiled.AllResources(StorageAccountType).ToList();

        accounts.ShouldNotBeEmpty();
        foreach (var account in accounts)
        {
            account.Property("allowSharedKeyAccess")!.GetValue<bool>().ShouldBeFalse();
            account.Property("allowBlobPublicAccess")!.GetValue<bool>().ShouldBeFalse();
            account.Property("minimumTlsVersion")!.GetValue<string>().ShouldBe("TLS1_2");
            account.Property("supportsHttpsTrafficOnly")!.GetValue<bool>().ShouldBeTrue();
        }
    }

    [Theory]
    [InlineData("b7e6dc6d-f1e8-4753-8033-0f276bb0955b")] // Storage Blob Data Owner
    [InlineData("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3")] // Storage Table Data Contributor
    [InlineData("974c5e8b-45b9-4653-ba55-5f855dd0fb88")] // Storage Queue Data Contributor
    public void StorageAccounts_DataRole_IsGrantedToTheManagedIdentity(string roleDefinitionId)
    {
        var account = compiled.AllResources(StorageAccountType).ShouldHaveSingleItem();

        var grants = account.Template.Resources
            .Where(resource => resource.Type == RoleAssignmentType)
            .Where(assignment => assignment.Property("roleDefinitionId")!.GetValue<string>()
                == $"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{roleDefinitionId}')]")
            .ToList();

        var grant = grants.ShouldHaveSingleItem();
        grant.String("scope").ShouldBe($"[resourceId('{StorageAccountType}', {ArmTemplate.StripBrackets(account.String("name"))})]");
        grant.Property("principalType")!.GetValue<string>().ShouldBe("ServicePrincipal");
        compiled.IsIdentityProperty(grant.Template, grant.Property("principalId")!.GetValue<string>(), "principalId")
            .ShouldBeTrue($"the principal is main's identity: {grant.Property("principalId")}");
    }

    [Fact]
    public void RoleAssignments_Everywhere_GoToTheManagedIdentityOnly()
    {
        var assignments = compiled.AllResources(RoleAssignmentType).ToList();

        // Three on storage, Key Vault Secrets User, Monitoring Metrics Publisher.
        assignments.Count.ShouldBe(5);
        assignments.ShouldAllBe(assignment =>
            compiled.IsIdentityProperty(assignment.Template, assignment.Property("principalId")!.GetValue<string>(), "principalId"));
    }

    [Fact]
    public void FunctionApp_HostStorage_IsReachedThroughTheManagedIdentity()
    {
        var functionApp = compiled.AllResources(SiteType).Where(site => site.String("kind").Contains("functionapp", StringComparison.Ordinal))
            .ShouldHaveSingleItem();
        var settings = AppSettings(functionApp);

        settings.Keys.Where(name => name.StartsWith("AzureWebJobsStorage", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .ShouldBe(["AzureWebJobsStorage__accountName", "AzureWebJobsStorage__clientId", "AzureWebJobsStorage__credential"]);
        settings["AzureWebJobsStorage__credential"].ShouldBe("managedidentity");
        compiled.IsIdentityProperty(functionApp.Template, settings["AzureWebJobsStorage__clientId"], "clientId")
            .ShouldBeTrue($"AzureWebJobsStorage__clientId is the identity's: {settings["AzureWebJobsStorage__clientId"]}");
        settings.ShouldNotContainKey("FUNCTIONS_WORKER_RUNTIME", "Flex Consumption takes the runtime from functionAppConfig");

        functionApp.Property("functionAppConfig", "runtime", "name")!.GetValue<string>().ShouldBe("dotnet-isolated");
        functionApp.Property("functionAppConfig", "runtime", "version")!.GetValue<string>().ShouldBe("10.0");
        var deploymentStorage = functionApp.Property("functionAppConfig", "deployment", "storage")!;
        deploymentStorage["type"]!.GetValue<string>().ShouldBe("blobContainer");
        deploymentStorage["authentication"]!["type"]!.GetValue<string>().ShouldBe("UserAssignedIdentity");
        functionApp.Template.Resources.Single(resource => resource.Type == "Microsoft.Web/serverfarms").Json["sku"]!["name"]!
            .GetValue<string>().ShouldBe("FC1");
    }

    [Fact]
    public void Sites_Identity_IsTheUserAssignedOneForStorageAndKeyVault()
    {
        var sites = compiled.AllResources(SiteType).ToList();

        sites.Count.ShouldBe(2);
        foreach (var site in sites)
        {
            site.Json["identity"]!["type"]!.GetValue<string>().ShouldBe("UserAssigned");
            var identityId = site.Json["identity"]!["userAssignedIdentities"]!.AsObject().ShouldHaveSingleItem().Key;
            identityId.ShouldBe($"[format('{{0}}', resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identityName')))]");
            compiled.IsIdentityName(site.Template, "identityName").ShouldBeTrue();
            site.Property("keyVaultReferenceIdentity")!.GetValue<string>()
                .ShouldBe("[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identityName'))]");

            site.Property("httpsOnly")!.GetValue<bool>().ShouldBeTrue();
            site.Property("siteConfig", "minTlsVersion")!.GetValue<string>().ShouldBe("1.2");
            site.Property("siteConfig", "ftpsState")!.GetValue<string>().ShouldBe("Disabled");
        }
    }

    [Fact]
    public void SharedSettings_SecretsAndStorage_AreKeyVaultReferencesAndServiceUris()
    {
        var settingsExpression = compiled.AllTemplates().Single(template => template.Name == "functionApp").ParameterValue("sharedSettings")!;

        foreach (var name in (string[])["Storage__BlobServiceUri", "Storage__TableServiceUri", "Storage__QueueServiceUri", "Storage__ManagedIdentityClientId"])
        {
            settingsExpression.ShouldContain($"createObject('name', '{name}', ");
        }

        foreach (var secret in (string[])["Bot__AppPassword", "Slack__SigningSecret", "Slack__ClientSecret", "Slack__TokenEncryptionKey"])
        {
            Regex.IsMatch(settingsExpression, $@"createObject\('name', '{secret}', 'value', reference\(resourceId\('Microsoft\.Resources/deployments', 'keyVault'\), '[0-9-]+'\)\.outputs\.appSettingReferences\.value\.\w+\)")
                .ShouldBeTrue($"{secret} is a Key Vault reference");
        }

        var references = compiled.AllTemplates().Single(template => template.Name == "keyVault").Json["outputs"]!["appSettingReferences"]!["value"]!.AsObject();
        references.ShouldAllBe(reference => reference.Value!.GetValue<string>().StartsWith("[format('@Microsoft.KeyVault(SecretUri={0}secrets/{1})', reference(", StringComparison.Ordinal));
    }

    [Fact]
    public void KeyVault_Authorization_IsRbacWithSoftDeleteAndPurgeProtection()
    {
        var vault = compiled.AllResources("Microsoft.KeyVault/vaults").ShouldHaveSingleItem();

        vault.Property("enableRbacAuthorization")!.GetValue<bool>().ShouldBeTrue();
        vault.Property("enableSoftDelete")!.GetValue<bool>().ShouldBeTrue();
        vault.Property("enablePurgeProtection")!.GetValue<bool>().ShouldBeTrue();
        vault.Property("accessPolicies").ShouldBeNull();
        vault.Template.Resources.Where(resource => resource.Type == RoleAssignmentType)
            .Select(assignment => assignment.Property("roleDefinitionId")!.GetValue<string>())
            .ShouldBe(["[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')]"]);
    }

    [Fact]
    public void ApplicationInsights_LocalAuthentication_IsOffAndTheIdentityPublishes()
    {
        var appInsights = compiled.AllResources("Microsoft.Insights/components").ShouldHaveSingleItem();

        appInsights.Property("DisableLocalAuth")!.GetValue<bool>().ShouldBeTrue();
        appInsights.Property("WorkspaceResourceId").ShouldNotBeNull();
        appInsights.Template.Resources.Where(resource => resource.Type == RoleAssignmentType)
            .Select(assignment => assignment.Property("roleDefinitionId")!.GetValue<string>())
            .ShouldBe(["[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb')]"]);
        compiled.AllTemplates().Single(template => template.Name == "functionApp").ParameterValue("sharedSettings")!
            .ShouldContain("createObject('name', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'value', format('Authorization=AAD;ClientId={0}', ");
    }

    [Fact]
    public void AzureBot_AppType_IsNeverMultiTenant()
    {
        var bot = compiled.AllResources("Microsoft.BotService/botServices").ShouldHaveSingleItem();
        var appType = bot.Property("msaAppType")!.GetValue<string>();

        var possible = ParameterReference().Match(appType) is { Success: true } parameter
            ? bot.Template.Parameters.Single(p => p.Name == parameter.Groups[1].Value).Definition["allowedValues"]!.AsArray()
                .Select(value => value!.GetValue<string>()).ToList()
            : [appType];
        possible.ShouldBe(["UserAssignedMSI", "SingleTenant"], ignoreOrder: true);
        compiled.Main.Parameters.Single(p => p.Name == "botAppType").Definition["allowedValues"]!.AsArray()
            .Select(value => value!.GetValue<string>()).ShouldNotContain("MultiTenant");
        bot.Property("endpoint")!.GetValue<string>().ShouldBe("[parameters('endpoint')]");
        bot.Template.ParameterValue("endpoint").ShouldBe(
            "[format('https://{0}/api/messages', reference(resourceId('Microsoft.Resources/deployments', 'botApp'), '2025-04-01').outputs.hostName.value)]");
    }

    /// <summary>The app settings a site is created with, by name, whether written inline or through template variables.</summary>
    private static Dictionary<string, string> AppSettings(ArmResource site)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var sources = site.Property("siteConfig", "appSettings") switch
        {
            JsonArray inline => [inline],
            JsonValue expression => VariableReference().Matches(expression.GetValue<string>())
                .Select(match => site.Template.Variable(match.Groups[1].Value)).OfType<JsonArray>().ToList(),
            _ => new List<JsonArray>(),
        };
        foreach (var setting in sources.SelectMany(source => source).Select(node => node!.AsObject()))
        {
            settings.Add(setting["name"]!.GetValue<string>(), setting["value"]!.GetValue<string>());
        }

        return settings;
    }

    [GeneratedRegex(@"^\[parameters\('(\w+)'\)\]$")]
    private static partial Regex ParameterReference();

    [GeneratedRegex(@"variables\('(\w+)'\)")]
    private static partial Regex VariableReference();

    [GeneratedRegex("password|secret|token|key$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeName();
}
