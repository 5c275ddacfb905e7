import { Migration } from '@mikro-orm/migrations';

export class Migration20261207170131 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`runs\` add column \`source\` text not null default 'WORKER';`);
    this.addSql(`alter table \`runs\` add column \`name\` text null;`);
    this.addSql(`alter table \`runs\` add column \`logged_by\` text null;`);
    this.addSql(`alter table \`runs\` add column \`client\` text null;`);
  }
}
