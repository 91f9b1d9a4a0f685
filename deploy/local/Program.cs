// dapr-local: see README.md. The command line mirrors `dapr run -f <file or folder>`.
Console.Error.WriteLine("usage: dapr-local -f <dapr.yaml or folder>");
return 2;
