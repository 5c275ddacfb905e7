import { Migration } from '@mikro-orm/migrations';

export class Migration20261207050553 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`architecture_findings\` (\`id\` integer not null primary key autoincrement, \`architecture_hash\` text not null, \`run_id\` text not null, \`found_at\` datetime not null, constraint \`architecture_findings_architecture_hash_foreign\` foreign key(\`architecture_hash\`) references \`architectures\`(\`hash\`) on delete cascade on update cascade, constraint \`architecture_findings_run_id_foreign\` foreign key(\`run_id\`) references \`runs\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(
      `create index \`architecture_findings_architecture_hash_index\` on \`architecture_findings\` (\`architecture_hash\`);`,
    );
    this.addSql(`create index \`architecture_findings_run_id_index\` on \`architecture_findings\` (\`run_id\`);`);
    this.addSql(
      `create unique index \`architecture_findings_architecture_hash_run_id_unique\` on \`architecture_findings\` (\`architecture_hash\`, \`run_id\`);`,
    );

    this.addSql(`alter table \`runs\` add column \`client_id\` text null;`);

    // Every architecture's known findings: its first run, and each run that holds it now.
    this.addSql(
      `insert into architecture_findings (architecture_hash, run_id, found_at) select hash, origin_run_id, created_at from architectures where origin_run_id is not null;`,
    );
    this.addSql(
      `insert into architecture_findings (architecture_hash, run_id, found_at) select r.architecture_hash, r.id, coalesce(r.started_at, r.created_at) from runs r where r.architecture_hash is not null and not exists (select 1 from architecture_findings f where f.architecture_hash = r.architecture_hash and f.run_id = r.id);`,
    );
  }
}
