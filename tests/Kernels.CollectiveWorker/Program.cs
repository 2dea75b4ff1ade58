using Kernels.CollectiveWorker;

// Scenarios (one rank each; the rank comes from KN_RANK/KN_WORLD_SIZE/KN_JOB):
//   plan <dir>          run the collectives listed in <dir>/plan.txt on the inputs in <dir> and write the outputs there
//   exchange <dir>      run the all-to-all exchanges listed in <dir>/exchange.txt (ExchangePlanRunner)
//   attention <dir>     run the ring/Ulysses attention cases listed in <dir>/attention.txt (AttentionPlanRunner)
//   loop <count>        all-reduce <count> floats until a peer is lost; report it and exit 0
//   join                join the job, barrier, leave
//   exit <rank> <code>  no communicator: <rank> exits with <code> at once, the others sleep (launcher tests)
return args switch
{
    ["plan", string directory] => PlanRunner.Run(directory),
    ["exchange", string directory] => ExchangePlanRunner.Run(directory),
    ["attention", string directory] => AttentionPlanRunner.Run(directory),
    ["loop", string count] => Scenarios.LoopUntilPeerLost(int.Parse(count)),
    ["join"] => Scenarios.Join(),
    ["exit", string rank, string code] => Scenarios.ExitAsTold(int.Parse(rank), int.Parse(code)),
    _ => Scenarios.Usage(args),
};
