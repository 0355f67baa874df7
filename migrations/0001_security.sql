CREATE TABLE `ingest_keys` (
	`name` text PRIMARY KEY NOT NULL,
	`key_hash` text NOT NULL,
	`key_hint` text NOT NULL,
	`services` text,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ingest_keys_key_hash_unique` ON `ingest_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `retention_state` (
	`id` text PRIMARY KEY NOT NULL,
	`after_start_us` integer NOT NULL,
	`after_trace_id` text NOT NULL,
	`deleted_total` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
