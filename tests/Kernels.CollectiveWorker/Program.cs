using Kernels.CollectiveWorker;

// Scenarios (one rank each; the rank comes from KN_RANK/KN_WORLD_SIZE/KN_JOB, or from mpirun):
//   plan <dir>          run the collectives listed in <dir>/plan.txt on the inputs in <dir> and write the outputs there
//   exchange <dir>      run the all-to-all exchanges listed in <dir>/exchange.txt (ExchangePlanRunner)
//   attention <dir>     run the ring/Ulysses attention cases listed in <dir>/attention.txt (AttentionPlanRunner)
//   loop <count>        all-reduce <count> floats until a peer is lost; report it and exit 0
//   join                join the job, barrier, leave
//   mismatch            an all-reduce whose count differs on rank 0: every rank reports the mismatch, then a good one
//   fail kill|stall <rank>  <rank> dies or stops calling; the others report the exception they get
//   exit <rank> <code>  no communicator: <rank> exits with <code> at once, the others sleep (launcher tests)
return args switch
{
    ["plan", string directory] => PlanRunner.Run(directory),
    ["exchange", string directory] => ExchangePlanRunner.Run(directory),
    ["attention", string directory] => AttentionPlanRunner.Run(directory),
    ["loop", string count] => Scenarios.LoopUntilPeerLost(int.Parse(count)),
    ["join"] => Scenarios.Join(),
    ["mismatch"] => Scenarios.Mismatch(),
    ["fail", string how, string rank] => Scenarios.FailOne(how, int.Parse(rank)),
    ["exit", string rank, string code] => Scenarios.ExitAsTold(int.Parse(rank), int.Parse(code)),
    _ => Scenarios.Usage(args),
};
