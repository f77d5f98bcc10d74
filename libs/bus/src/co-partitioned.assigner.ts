import { AssignerProtocol, PartitionAssigner } from 'kafkajs';

/**
 * Gives partition N of every subscribed topic to the same member. Topics keyed alike and with
 * equal partition counts (supervisor.tasks and mcp.results, both keyed by task id) then meet in
 * one consumer, so a task's requests, results and timers are owned by one pod — Kafka
 * Streams-style co-partitioning, without a coordinator of our own.
 */
export const CoPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'PhoenixCoPartitioned',
  version: 0,
  async assign({ members, topics }) {
    const memberIds = members.map((m) => m.memberId).sort();
    const assignment: Record<string, Record<string, number[]>> = {};
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const member = memberIds[partitionId % memberIds.length];
        ((assignment[member] ??= {})[topic] ??= []).push(partitionId);
      }
    }
    return memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: assignment[memberId] ?? {}, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'PhoenixCoPartitioned', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
