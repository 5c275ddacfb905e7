import { Migration } from '@mikro-orm/migrations';

export class Migration20261207203157 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`study_rows\` (\`id\` integer not null primary key autoincrement, \`study_id\` text not null, \`run_id\` text not null, \`key\` text not null, \`dataset\` text not null, \`arm\` text not null, \`seed\` integer not null, \`index\` integer not null, \`architecture_hash\` text not null, \`params\` bigint not null, \`flops\` bigint not null, \`channels\` integer not null, \`layers\` integer not null, \`clean_accuracy\` double not null, \`worst_case\` double not null, \`attacks\` json not null, \`threat_norm\` text not null, \`threat_epsilon\` double not null, \`examples\` integer not null, \`seconds\` double not null, \`planned\` integer not null, \`created_at\` datetime not null, constraint \`study_rows_study_id_foreign\` foreign key(\`study_id\`) references \`runs\`(\`id\`) on delete cascade on update cascade, constraint \`study_rows_run_id_foreign\` foreign key(\`run_id\`) references \`runs\`(\`id\`) on delete cascade on update cascade, constraint \`study_rows_architecture_hash_foreign\` foreign key(\`architecture_hash\`) references \`architectures\`(\`hash\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`study_rows_study_id_index\` on \`study_rows\` (\`study_id\`);`);
    this.addSql(`create unique index \`study_rows_run_id_unique\` on \`study_rows\` (\`run_id\`);`);
    this.addSql(`create index \`study_rows_architecture_hash_index\` on \`study_rows\` (\`architecture_hash\`);`);
    this.addSql(`create index \`study_rows_study_id_id_index\` on \`study_rows\` (\`study_id\`, \`id\`);`);
    this.addSql(`create unique index \`study_rows_study_id_key_unique\` on \`study_rows\` (\`study_id\`, \`key\`);`);
  }
}
