import { moderationContract } from "../testing/moderation_contract.ts";
import { MemoryModeration } from "./moderation.ts";

moderationContract(
  "MemoryModeration",
  (now) => Promise.resolve(new MemoryModeration({ now })),
);
