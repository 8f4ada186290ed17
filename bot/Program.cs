using Digest.Bot;

// Configuration: see bot/README.md (Bot:*, Subscriptions:*, Storage:*).
var builder = WebApplication.CreateBuilder(args);
builder.AddDigestBot();

var app = builder.Build();
app.MapDigestBot();
app.Run();
