/**
 * @sluice/chaos (private): an invariant checker that watches rollouts from outside, fault injectors
 * for the controller and the local control plane, and the suite that runs them (`pnpm run chaos`,
 * test/chaos.int.test.ts).
 */
export { checkFinalStates, checkTimeline, ClusterState, compareFinal, finalStateOf, impairedWindows } from './checker.ts'
export type { CheckOptions, FinalState, InvariantName, Violation } from './checker.ts'
export { restartComponent } from './cluster-faults.ts'
export type { Component, Restart } from './cluster-faults.ts'
export { SupervisedController } from './controllers.ts'
export type { ControllerOptions, Lifetime } from './controllers.ts'
export { FaultProxy, NO_FAULTS } from './fault-proxy.ts'
export type { InjectedFault, ProxyFaults } from './fault-proxy.ts'
export { Random } from './random.ts'
export { ALL_KINDS, Recorder } from './recorder.ts'
export { FAULT_KINDS, runScenario } from './run.ts'
export type { FaultKind, FaultPlan, Recoveries, RunOptions, RunResult } from './run.ts'
export { describeFailure, runSeed, startChaosCluster, stopChaosCluster } from './suite.ts'
export type { ChaosCluster, SeedOptions, SeedResult } from './suite.ts'
export { excerpt, formatEntry, ordered } from './timeline.ts'
export type { Entry, Mark, ObjectEntry } from './timeline.ts'
export { ROUTERS, scenarioFor } from './workload.ts'
export type { Router, RolloutScenario, Scenario } from './workload.ts'
