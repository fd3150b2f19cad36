/**
 * The one way kraftover imports kafkajs: with its record codec patched for
 * exact headers and batch offsets (see `_kafkajs_patch.ts`) and with every
 * compression codec registered. Importing `kafkajs` directly elsewhere would
 * risk loading it unpatched; `tests/imports_test.ts` forbids it.
 *
 * @module
 */

import { assertKafkajsPatched, ensureExactRecordCodec, HEADER_LIST } from "./_kafkajs_patch.ts";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  CompressionCodecs,
  CompressionTypes,
  ConfigResourceTypes,
  ConfigSource,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from "kafkajs";
import { registerCodecs } from "./_codecs.ts";

registerCodecs(CompressionCodecs as unknown as Record<number, () => unknown>, CompressionTypes);

export {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  assertKafkajsPatched,
  CompressionTypes,
  ConfigResourceTypes,
  ConfigSource,
  ensureExactRecordCodec,
  HEADER_LIST,
  Kafka,
  logLevel,
  ResourcePatternTypes,
};
export type { FetchedBatchInfo, RawHeader } from "./_kafkajs_patch.ts";
export type {
  Admin,
  Consumer,
  ITopicConfig,
  KafkaConfig,
  Producer,
  RecordMetadata,
  SASLOptions,
} from "kafkajs";
