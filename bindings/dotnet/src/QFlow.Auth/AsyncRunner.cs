using System;
using System.Threading;
using System.Threading.Tasks;

namespace QFlow.Auth
{
    /// <summary>
    /// Runs a blocking native request on the thread pool, so that the caller's thread is never blocked,
    /// and lets a <see cref="CancellationToken"/> complete the task early.
    /// </summary>
    /// <remarks>
    /// The C API has no way to abort a request in flight. Cancelling therefore completes the returned task
    /// as cancelled at once, while the native request runs on to its end (bounded by the client's
    /// timeout) in the background; whatever it returns then is disposed, and whatever it throws is observed.
    /// </remarks>
    internal static class AsyncRunner
    {
        /// <param name="work">The blocking request, with its arguments already checked.</param>
        /// <param name="discard">Clears the request's argument buffers when it never runs.</param>
        /// <param name="cancellationToken">Completes the task as cancelled when signalled.</param>
        internal static Task<T> Run<T>(Func<T> work, Action discard, CancellationToken cancellationToken)
            where T : class
        {
            if (cancellationToken.IsCancellationRequested)
            {
                discard();
                return Task.FromCanceled<T>(cancellationToken);
            }
            Task<T> running = Task.Factory.StartNew(
                work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
            if (!cancellationToken.CanBeCanceled)
            {
                return running;
            }
            var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            CancellationTokenRegistration registration =
                cancellationToken.Register(() => result.TrySetCanceled(cancellationToken));
            running.ContinueWith(done =>
            {
                registration.Dispose();
                if (done.IsFaulted)
                {
                    // Reading Exception also marks it observed when the task was cancelled first.
                    result.TrySetException(done.Exception.InnerExceptions);
                }
                else if (done.IsCanceled)
                {
                    result.TrySetCanceled();
                }
                else if (!result.TrySetResult(done.Result))
                {
                    var late = done.Result as IDisposable; // cancelled first: nobody will see this result
                    if (late != null)
                    {
                        late.Dispose();
                    }
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return result.Task;
        }
    }
}
