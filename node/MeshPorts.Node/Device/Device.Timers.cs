namespace MeshPorts.Node.Device;

internal sealed partial class Device
{
    // The engine's timers are deadlines; this loop only gives it a chance to look at the clock.
    private void TimerLoop()
    {
        var token = _stopping.Token;
        while (!token.WaitHandle.WaitOne(_options.TickInterval))
        {
            _engine.Tick(this);
            SweepFilter();
            ExpireMeshPeers();
            if (_engine.UnderLoad && Time.GetTimestamp() > Volatile.Read(ref _underLoadUntil))
            {
                _engine.UnderLoad = false;
            }
        }
    }
}
