import { Migration } from '@mikro-orm/migrations';

export class Migration20261207170118 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`results_version\` (\`id\` integer not null, \`version\` integer not null, primary key (\`id\`));`,
    );
  }
}
