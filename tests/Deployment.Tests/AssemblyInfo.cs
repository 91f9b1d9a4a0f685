// The rendered overlays are parsed once and shared by every test; System.Text.Json's nodes are not safe to read from
// several threads at once (they build their lookups lazily), so the tests run one at a time: the whole suite takes
// seconds.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
