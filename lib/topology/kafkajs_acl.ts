/**
 * An inventory ACL binding in the shape kafkajs' admin `createAcls` and
 * `deleteAcls` take (enum numbers instead of names).
 *
 * @module
 */

import type { AclBinding } from "../inventory/types.ts";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from "../kafka/kafkajs.ts";

/** Converts a binding for kafkajs' admin ACL calls; used as a create entry or an exact delete filter. */
export function toKafkajsAcl(b: AclBinding) {
  return {
    resourceType: AclResourceTypes[b.resourceType as keyof typeof AclResourceTypes],
    resourceName: b.resourceName,
    resourcePatternType: ResourcePatternTypes[b.patternType as keyof typeof ResourcePatternTypes],
    principal: b.principal,
    host: b.host,
    operation: AclOperationTypes[b.operation as keyof typeof AclOperationTypes],
    permissionType: AclPermissionTypes[b.permission as keyof typeof AclPermissionTypes],
  };
}
