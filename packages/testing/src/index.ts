/**
 * @boxoffice/testing: the adapter contract suite and the property-based law
 * harness. Any adapter, ours or a third party's, proves itself against the
 * same laws by calling both suites.
 *
 * @since 0.1.0
 * @packageDocumentation
 * @module @boxoffice/testing
 */
export * from "./AdapterUnderTest.ts"
export * from "./ContractSuite.ts"
export * from "./Harness.ts"
export * from "./StoreClock.ts"
export * from "./StoreStall.ts"
export * from "./LockWaitCases.ts"
export * from "./PaymentTokenCases.ts"
export * from "./EventCases.ts"
export * from "./RefundCases.ts"
export * from "./SoldOutCases.ts"
export * from "./HoldFundsCases.ts"
export * from "./SeatClassCases.ts"
export * from "./FairStartCases.ts"
export * from "./FairnessSuite.ts"
export * from "./PropertySuite.ts"
export * from "./ModelSuite.ts"
export * from "./TcpProxy.ts"
export * from "./RedisCluster.ts"
