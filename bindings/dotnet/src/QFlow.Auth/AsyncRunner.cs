using System;
using System.Threading;
using System.Threading.Tasks;
using QFlow.Auth.Native;

namespace QFlow.Auth
{
    /// <summary>
    /// Runs a blocking native request on the thread pool, so that the caller's thread is never blocked,
    /// and lets a <see cref="CancellationToken"/> abort it.
    /// </summary>
    /// <remarks>
    /// Cancelling completes the returned task as cancelled at once and cancels a native cancel token
    /// (<c>qflow_cancel_token</c>) attached to the worker thread for the duration of the request: the
    /// library shuts the request's socket down, so the native call returns within moments instead of
    /// waiting for the server or the timeout. Whatever it returns after all (it may have just completed)
    /// is disposed, and whatever it throws is observed.
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
            if (!cancellationToken.CanBeCanceled)
            {
                return Task.Factory.StartNew(
                    work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
            }
            CancelTokenHandle nativeCancel = NativeMethods.qflow_cancel_token_new();
            if (nativeCancel.IsInvalid)
            {
                discard();
                nativeCancel.Dispose();
                throw new InternalLibraryException("qflow_cancel_token_new failed", null);
            }
            Task<T> running = Task.Factory.StartNew(
                () => RunCancellable(work, nativeCancel), CancellationToken.None,
                TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
            var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            CancellationTokenRegistration registration = cancellationToken.Register(() =>
            {
                result.TrySetCanceled(cancellationToken);
                NativeMethods.qflow_cancel_token_cancel(nativeCancel);
            });
            running.ContinueWith(done =>
            {
                // Waits for a callback that is running, so the handle is not freed under it.
                registration.Dispose();
                nativeCancel.Dispose();
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

        /// <summary>Runs <paramref name="work"/> with <paramref name="nativeCancel"/> attached to this
        /// (pool) thread, and detaches it afterwards so that the thread's next job is not affected.</summary>
        private static T RunCancellable<T>(Func<T> work, CancelTokenHandle nativeCancel)
        {
            NativeMethods.qflow_cancel_token_attach(nativeCancel);
            try
            {
                return work();
            }
            finally
            {
                NativeMethods.qflow_cancel_token_detach();
            }
        }
    }
    /// <summary>A native call whose arguments are checked and encoded, ready to run now or on the thread pool.
    /// Whatever it holds (buffers that may hold a password, native options) is released exactly once:
    /// after it ran, or when it is discarded without running.</summary>
    internal sealed class Call<T> where T : class
    {
        private readonly Func<T> send;
        private readonly Action cleanup;
        private int cleaned;

        /// <param name="send">The native call.</param>
        /// <param name="buffers">Argument buffers to zero afterwards (null entries are skipped).</param>
        internal Call(Func<T> send, params byte[][] buffers)
            : this(send, () => Utf8.Clear(buffers))
        {
        }

        /// <param name="send">The native call.</param>
        /// <param name="cleanup">Releases what the call holds; run once.</param>
        internal Call(Func<T> send, Action cleanup)
        {
            this.send = send;
            this.cleanup = cleanup;
        }

        internal T Run()
        {
            try
            {
                return send();
            }
            finally
            {
                Discard();
            }
        }

        internal void Discard()
        {
            if (Interlocked.Exchange(ref cleaned, 1) == 0)
            {
                cleanup();
            }
        }

        /// <summary>Runs on the thread pool; see <see cref="AsyncRunner"/>.</summary>
        internal Task<T> RunAsync(CancellationToken cancellationToken)
        {
            return AsyncRunner.Run(Run, Discard, cancellationToken);
        }
    }
}
