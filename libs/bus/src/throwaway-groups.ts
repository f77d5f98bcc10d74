import { Admin, Kafka } from 'kafkajs';
import { PhoenixLogger } from '@phoenix/observability';

/**
 * Consumer groups a process makes for itself (views, the console's feed): named with a prefix and
 * a fresh id, deleted at stop, and those of processes killed before their stop deleted once empty.
 */

/** Deletes the empty groups whose id starts with `prefix` (left by processes that died). */
export async function deleteEmptyGroups(admin: Admin, prefix: string): Promise<void> {
  const { groups } = await admin.listGroups();
  const ours = groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  if (!ours.length) return;
  const described = await admin.describeGroups(ours);
  const empty = described.groups.filter((g) => g.state === 'Empty' || g.state === 'Dead').map((g) => g.groupId);
  if (empty.length) await admin.deleteGroups(empty);
}

/** Deletes one group after its only member left; the leave can trail the disconnect (NON_EMPTY_GROUP). */
export async function deleteOwnGroup(kafka: Kafka, groupId: string, logger: PhoenixLogger): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.deleteGroups([groupId]);
        break;
      } catch (err) {
        const groups = (err as { groups?: { error?: { type?: string } }[] }).groups ?? [];
        if (attempt >= 5 || !groups.some((g) => g.error?.type === 'NON_EMPTY_GROUP')) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  } catch (err) {
    logger.debug({ group: groupId, err: (err as Error).message }, 'could not delete a throw-away group');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
