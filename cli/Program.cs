using Digest.Cli;

// `digest` is both the timer host (`run`, the default) and the command line; see `digest --help`.
return await DigestCommandLine.InvokeAsync(args);
