CREATE TABLE `dependency_edges` (
	`bucket_ms` integer NOT NULL,
	`parent` text NOT NULL,
	`child` text NOT NULL,
	`calls` real NOT NULL,
	`errors` real NOT NULL,
	`hist` text NOT NULL,
	PRIMARY KEY(`bucket_ms`, `parent`, `child`)
);
--> statement-breakpoint
CREATE TABLE `dependency_traces` (
	`trace_id` text PRIMARY KEY NOT NULL,
	`bucket_ms` integer NOT NULL,
	`version` integer NOT NULL,
	`edges` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `service_instances` (
	`service` text NOT NULL,
	`instance_id` text NOT NULL,
	`host` text NOT NULL,
	`sdk` text NOT NULL,
	`first_seen_ms` integer NOT NULL,
	`last_seen_ms` integer NOT NULL,
	PRIMARY KEY(`service`, `instance_id`)
);
--> statement-breakpoint
CREATE TABLE `service_metrics` (
	`service` text NOT NULL,
	`minute` integer NOT NULL,
	`operation` text NOT NULL,
	`span_kind` text NOT NULL,
	`shard` integer NOT NULL,
	`seq` integer NOT NULL,
	`calls` integer NOT NULL,
	`errors` integer NOT NULL,
	`min_ns` integer,
	`max_ns` integer,
	`hist` text NOT NULL,
	PRIMARY KEY(`service`, `minute`, `operation`, `span_kind`, `shard`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `services` (
	`name` text PRIMARY KEY NOT NULL,
	`first_seen_ms` integer NOT NULL,
	`last_seen_ms` integer NOT NULL
);
