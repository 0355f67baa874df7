-- Custom SQL migration (drizzle-kit generate --custom): drizzle-kit cannot declare a WITHOUT ROWID
-- table, so trace_terms is rebuilt as one here. A posting is then one b-tree entry instead of a
-- row plus its primary-key entry: half the D1 rows written per posting, and no rowid stored.
-- The columns and the key stay as worker/db/schema.ts declares them.
CREATE TABLE `trace_terms_clustered` (
	`term_id` integer NOT NULL,
	`start_us` integer NOT NULL,
	`trace_seq` integer NOT NULL,
	PRIMARY KEY(`term_id`, `start_us`, `trace_seq`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `trace_terms_clustered` (`term_id`, `start_us`, `trace_seq`) SELECT `term_id`, `start_us`, `trace_seq` FROM `trace_terms`;
--> statement-breakpoint
DROP TABLE `trace_terms`;
--> statement-breakpoint
ALTER TABLE `trace_terms_clustered` RENAME TO `trace_terms`;
