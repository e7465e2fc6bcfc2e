using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace QFlow.Auth.Tests
{
    /// <summary>A test: a public static method of <see cref="Tests"/>; run in declaration order.</summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            string missing = Env.Check();
            if (missing != null)
            {
                Console.Error.WriteLine(missing);
                return 2;
            }
            string only = args.Length > 0 ? args[0] : null;
            int passed = 0, failed = 0, skipped = 0;
            IEnumerable<MethodInfo> tests = typeof(Tests)
                .GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .OrderBy(m => m.MetadataToken);
            foreach (MethodInfo test in tests)
            {
                if (only != null && test.Name.IndexOf(only, StringComparison.OrdinalIgnoreCase) < 0)
                {
                    continue;
                }
                var clock = Stopwatch.StartNew();
                try
                {
                    test.Invoke(null, null);
                    passed++;
                    Console.WriteLine("ok      {0} ({1} ms)", test.Name, clock.ElapsedMilliseconds);
                }
                catch (TargetInvocationException e) when (e.InnerException is SkipException)
                {
                    skipped++;
                    Console.WriteLine("skipped {0}: {1}", test.Name, e.InnerException.Message);
                }
                catch (TargetInvocationException e)
                {
                    failed++;
                    Console.WriteLine("FAILED  {0}: {1}", test.Name, e.InnerException);
                }
            }
            Console.WriteLine(skipped > 0
                ? string.Format("{0} passed, {1} failed, {2} skipped", passed, failed, skipped)
                : string.Format("{0} passed, {1} failed", passed, failed));
            return failed == 0 ? 0 : 1;
        }
    }

    internal sealed class SkipException : Exception
    {
        internal SkipException(string reason) : base(reason)
        {
        }
    }

    internal sealed class AssertionException : Exception
    {
        internal AssertionException(string message) : base(message)
        {
        }
    }

    internal static class Assert
    {
        internal static void True(bool condition, string what)
        {
            if (!condition)
            {
                throw new AssertionException("expected: " + what);
            }
        }

        internal static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                throw new AssertionException(string.Format("{0}: expected <{1}>, got <{2}>", what, expected, actual));
            }
        }

        internal static void Contains(string part, string text, string what)
        {
            if (text == null || text.IndexOf(part, StringComparison.Ordinal) < 0)
            {
                throw new AssertionException(string.Format("{0}: <{1}> does not contain <{2}>", what, text, part));
            }
        }

        internal static void DoesNotContain(string part, string text, string what)
        {
            if (text != null && text.IndexOf(part, StringComparison.Ordinal) >= 0)
            {
                // The text may hold a secret: say where, not what.
                throw new AssertionException(what + ": contains what it must not");
            }
        }

        internal static void StartsWith(string prefix, string text, string what)
        {
            if (text == null || !text.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw new AssertionException(string.Format("{0}: <{1}> does not start with <{2}>", what, text, prefix));
            }
        }

        /// <summary>Runs <paramref name="action"/>, which must throw exactly <typeparamref name="T"/>.</summary>
        internal static T Throws<T>(Action action, string what) where T : Exception
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                if (e.GetType() == typeof(T))
                {
                    return (T)e;
                }
                throw new AssertionException(string.Format("{0}: expected {1}, got {2}", what, typeof(T).Name, e));
            }
            throw new AssertionException(string.Format("{0}: expected {1}, nothing was thrown", what, typeof(T).Name));
        }

        /// <summary>Awaits <paramref name="task"/>, which must fail with exactly <typeparamref name="T"/>.</summary>
        internal static T ThrowsFrom<T>(Task task, string what) where T : Exception
        {
            return Throws<T>(() => task.GetAwaiter().GetResult(), what);
        }
    }

    /// <summary>The environment set by tests/run.sh: the local identity server and the repository.</summary>
    internal static class Env
    {
        internal static readonly string Http = Environment.GetEnvironmentVariable("QFLOW_TEST_HTTP");
        internal static readonly string Https = Environment.GetEnvironmentVariable("QFLOW_TEST_HTTPS");
        internal static readonly string CaFile = Environment.GetEnvironmentVariable("QFLOW_TEST_CA_FILE");
        internal static readonly string Root = Environment.GetEnvironmentVariable("QFLOW_TEST_ROOT");
        /// <summary>The command that runs the compiled C# example (e.g. "mono /path/QuickStart.exe").</summary>
        internal static readonly string Example = Environment.GetEnvironmentVariable("QFLOW_TEST_EXAMPLE");

        internal static string Check()
        {
            if (string.IsNullOrEmpty(Http) || string.IsNullOrEmpty(Https) || string.IsNullOrEmpty(CaFile) ||
                string.IsNullOrEmpty(Root))
            {
                return "set QFLOW_TEST_HTTP, QFLOW_TEST_HTTPS, QFLOW_TEST_CA_FILE and QFLOW_TEST_ROOT " +
                       "(bindings/dotnet/tests/run.sh does)";
            }
            return null;
        }

        private static int tags;

        /// <summary>A tag unique to this run, for the server's /_stats and /_log.</summary>
        internal static string NewTag(string name)
        {
            return "dotnet-" + name + "-" + System.Threading.Interlocked.Increment(ref tags) + "-" +
                   Process.GetCurrentProcess().Id;
        }

        /// <summary>The token URL for some mode segments of the local server, e.g. "core", "slow-500".</summary>
        internal static string Url(string modes)
        {
            return Http + "/" + modes + "/connect/token";
        }

        internal static string HttpsUrl(string modes)
        {
            return Https + "/" + modes + "/connect/token";
        }

        /// <summary>How many requests tagged <paramref name="tag"/> the server received, and on how many
        /// connections.</summary>
        internal static int[] Stats(string tag)
        {
            string json = Get("/_stats?tag=" + Uri.EscapeDataString(tag));
            return new[] { Number(json, "requests"), Number(json, "connections") };
        }

        /// <summary>The raw JSON log of the requests tagged <paramref name="tag"/>.</summary>
        internal static string Log(string tag)
        {
            return Get("/_log?tag=" + Uri.EscapeDataString(tag));
        }

        private static string Get(string path)
        {
            using (var web = new WebClient())
            {
                web.Proxy = null;
                return web.DownloadString(Http + path);
            }
        }

        private static int Number(string json, string name)
        {
            Match m = Regex.Match(json, "\"" + name + "\": (\\d+)");
            if (!m.Success)
            {
                throw new AssertionException("no " + name + " in " + json);
            }
            return int.Parse(m.Groups[1].Value);
        }
    }
}
