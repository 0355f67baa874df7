CREATE TABLE `operations` (
	`service` text NOT NULL,
	`operation` text NOT NULL,
	`span_kind` text NOT NULL,
	`last_seen_us` integer NOT NULL,
	PRIMARY KEY(`service`, `operation`, `span_kind`)
);
--> statement-breakpoint
CREATE TABLE `traces` (
	`trace_id` text PRIMARY KEY NOT NULL,
	`start_us` integer NOT NULL,
	`duration_us` integer NOT NULL,
	`root_service` text NOT NULL,
	`root_operation` text NOT NULL,
	`span_count` integer NOT NULL,
	`error_count` integer NOT NULL,
	`orphan_count` integer DEFAULT 0 NOT NULL,
	`services` text NOT NULL,
	`sample_rate` real NOT NULL,
	`adjusted_count` real NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `traces_start` ON `traces` (`start_us`);--> statement-breakpoint
CREATE INDEX `traces_root_service_start` ON `traces` (`root_service`,`start_us`);