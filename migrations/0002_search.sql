CREATE TABLE `indexed_traces` (
	`seq` integer PRIMARY KEY NOT NULL,
	`trace_id` text NOT NULL,
	`start_us` integer NOT NULL,
	`duration_us` integer NOT NULL,
	`version` integer NOT NULL,
	`term_ids` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `indexed_traces_trace_id_unique` ON `indexed_traces` (`trace_id`);--> statement-breakpoint
CREATE TABLE `search_terms` (
	`id` integer PRIMARY KEY NOT NULL,
	`term` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `search_terms_term_unique` ON `search_terms` (`term`);--> statement-breakpoint
CREATE TABLE `trace_terms` (
	`term_id` integer NOT NULL,
	`start_us` integer NOT NULL,
	`trace_seq` integer NOT NULL,
	PRIMARY KEY(`term_id`, `start_us`, `trace_seq`)
);
--> statement-breakpoint
DROP INDEX `traces_root_service_start`;