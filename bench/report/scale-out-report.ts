import type { Figures } from '../suites/figures.js';
import { PROJECTED_INSTANCES } from '../suites/scale-out-suite.js';

/** The "Scale-out" tables of BENCHMARKS.md's results: cluster against one Redis, then a hundred instances worked out. */
export function scaleOutReport(f: Figures, show: (value: Figures[string] | undefined) => string): string[] {
  if (f.scale_out_instances === undefined) {
    return [];
  }
  const row = (label: string, stem: string, ratio?: string) =>
    `| ${label} | ${show(f[`${stem}_cluster`])} | ${show(f[`${stem}_single`])} | ${ratio ? show(f[ratio]) : ''} |`;
  const n = PROJECTED_INSTANCES;
  return [
    '',
    '### Scale-out: Redis Cluster against one Redis',
    '',
    `${show(f.scale_out_instances)} ws-auth instances on a three-master Redis Cluster, and ${show(f.scale_out_instances)} more on one redis-server; ` +
      `the instances of each hold ${show(f.scale_out_sockets)} idle authenticated sockets between them. Rounds alternate the two. ` +
      'Ratios are cluster over single, within each round, then the median. Counts are per revocation, from a burst of revocations ' +
      'fired back to back: publishes and cluster-bus messages from `INFO commandstats` and `CLUSTER INFO`, deliveries as publishes ' +
      'seen by a node times its local subscribers (`PUBSUB NUMSUB` / `SHARDNUMSUB`), Redis CPU summed over the nodes with their idle CPU taken off.',
    '',
    '| figure | cluster | one Redis | ratio |',
    '| --- | --- | --- | --- |',
    row('revocation fan-out p50 ms (`revokeSession()` on one instance to 4403 on another)', 'scale_out_revocation_p50_ms', 'scale_out_revocation_p50_ratio_cluster_vs_single'),
    row('revocation fan-out p99 ms', 'scale_out_revocation_p99_ms', 'scale_out_revocation_p99_ratio_cluster_vs_single'),
    row('revocation fan-out, slowest ms', 'scale_out_revocation_max_ms'),
    row('ticket handshakes/s (minted on one instance, redeemed on another)', 'scale_out_ticket_rate', 'scale_out_ticket_ratio_cluster_vs_single'),
    row('ticket handshake p99 ms', 'scale_out_ticket_p99_ms'),
    row('publishes per revocation (`PUBLISH` + `SPUBLISH`, all nodes)', 'scale_out_publishes_per_revocation'),
    row('cluster-bus publish messages per revocation (received, all nodes)', 'scale_out_bus_messages_per_revocation'),
    row('deliveries to subscribers per revocation (all nodes)', 'scale_out_deliveries_per_revocation'),
    row('deliveries per revocation, busiest node', 'scale_out_busiest_node_deliveries_per_revocation'),
    row('messages each instance\'s subscriber received per revocation', 'scale_out_instance_messages_per_revocation'),
    row('CPU µs per revocation of an instance that only listens', 'scale_out_listener_cpu_us_per_revocation'),
    row('bytes Redis sent to clients per revocation (all nodes)', 'scale_out_net_output_bytes_per_revocation'),
    row('Redis CPU µs per revocation (all nodes)', 'scale_out_redis_cpu_us_per_revocation', 'scale_out_redis_cpu_ratio_cluster_vs_single'),
    row('Redis CPU µs per revocation, busiest node', 'scale_out_busiest_node_cpu_us_per_revocation'),
    row('revocations/s one instance fires back to back', 'scale_out_revocations_per_s'),
    row(`with ${show(f.scale_out_stand_in_subscribers)} stand-in subscribers more: deliveries per revocation`, 'scale_out_with_stand_ins_deliveries_per_revocation'),
    row('… Redis CPU µs per revocation', 'scale_out_with_stand_ins_redis_cpu_us_per_revocation'),
    row('… bytes sent per revocation', 'scale_out_with_stand_ins_net_output_bytes_per_revocation'),
    row('Redis CPU µs per revocation per further subscriber', 'scale_out_redis_cpu_us_per_subscriber'),
    row('bytes per revocation per further subscriber', 'scale_out_net_output_bytes_per_subscriber'),
    '',
    `${n} instances, worked out from the figures above (BENCHMARKS.md, "Scale-out", has the formulas): ` +
      `per revocation ${show(f[`scale_out_projected_${n}_deliveries_per_revocation_cluster`])} deliveries on either; Redis CPU ` +
      `${show(f[`scale_out_projected_${n}_redis_cpu_us_per_revocation_cluster`])} µs on the cluster, ` +
      `${show(f[`scale_out_projected_${n}_redis_cpu_us_per_revocation_single`])} µs on one Redis; bytes sent ` +
      `${show(f[`scale_out_projected_${n}_net_output_bytes_per_revocation_cluster`])} and ` +
      `${show(f[`scale_out_projected_${n}_net_output_bytes_per_revocation_single`])}.`,
  ];
}
