import { Migration } from '@mikro-orm/migrations';

export class Migration20261207050553 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "architecture_findings" ("id" serial primary key, "architecture_hash" varchar(64) not null, "run_id" varchar(64) not null, "found_at" timestamptz not null);`,
    );
    this.addSql(
      `alter table "architecture_findings" add constraint "architecture_findings_architecture_hash_run_id_unique" unique ("architecture_hash", "run_id");`,
    );

    this.addSql(
      `alter table "architecture_findings" add constraint "architecture_findings_architecture_hash_foreign" foreign key ("architecture_hash") references "architectures" ("hash") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "architecture_findings" add constraint "architecture_findings_run_id_foreign" foreign key ("run_id") references "runs" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(`alter table "runs" add column "client_id" varchar(64) null;`);

    // Every architecture's known findings: its first run, and each run that holds it now.
    this.addSql(
      `insert into architecture_findings (architecture_hash, run_id, found_at) select hash, origin_run_id, created_at from architectures where origin_run_id is not null;`,
    );
    this.addSql(
      `insert into architecture_findings (architecture_hash, run_id, found_at) select r.architecture_hash, r.id, coalesce(r.started_at, r.created_at) from runs r where r.architecture_hash is not null and not exists (select 1 from architecture_findings f where f.architecture_hash = r.architecture_hash and f.run_id = r.id);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "architecture_findings" cascade;`);

    this.addSql(`alter table "runs" drop column "client_id";`);
  }
}
