namespace Kernels.Collectives;

/// <summary>
/// Runs a communicator's async collectives one after another, in issue order, on one dedicated thread (started on
/// first use). A dedicated thread, not the thread pool: collectives block while waiting for peers, and blocked pool
/// threads with many ranks in one process would starve the pool.
/// </summary>
internal sealed class OrderedWorker(string threadName) : IDisposable
{
    private readonly Queue<Action> _queue = new();
    private readonly object _lock = new();
    private Thread? _thread;
    private int _outstanding;
    private bool _stopping;

    /// <summary>Queues <paramref name="work"/>, which must not throw (it reports through its own completion).</summary>
    internal void Enqueue(Action work)
    {
        lock (_lock)
        {
            if (_stopping)
            {
                throw new InvalidOperationException("The worker is stopping.");
            }
            _queue.Enqueue(work);
            _outstanding++;
            if (_thread is null)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = threadName };
                _thread.Start();
            }
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Blocks until everything queued so far has run: a synchronous call must not overtake queued async ones.</summary>
    internal void WaitUntilIdle()
    {
        // Without queued work (every synchronous call checks) no lock: this thread's own enqueues are visible to it,
        // and another thread's concurrent enqueue races with this call under either form.
        if (Volatile.Read(ref _outstanding) == 0)
        {
            return;
        }
        lock (_lock)
        {
            while (_outstanding > 0)
            {
                Monitor.Wait(_lock);
            }
        }
    }

    private void Loop()
    {
        while (true)
        {
            Action work;
            lock (_lock)
            {
                while (_queue.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_lock);
                }
                if (_queue.Count == 0)
                {
                    return;
                }
                work = _queue.Dequeue();
            }
            work();
            lock (_lock)
            {
                _outstanding--;
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Runs what is queued (the owner makes queued work fail fast first), then stops the thread.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_lock)
        {
            _stopping = true;
            thread = _thread;
            Monitor.PulseAll(_lock);
        }
        if (thread is not null && thread != Thread.CurrentThread)
        {
            thread.Join();
        }
    }
}
