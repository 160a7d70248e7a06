/** The normalized rows' types moved to bridge/model/clinical.ts (shared by normalize/ and store/); re-exported here. */
export type * from '../model/clinical';
