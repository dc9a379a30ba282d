import type { Role } from '../../contract/index.js';
import type { EnvironmentsTable, Executor, MembershipsTable, ProjectsTable } from './schema.js';

export type ProjectRow = ProjectsTable;
export type EnvironmentRow = EnvironmentsTable;

export interface ProjectAccess {
  project: ProjectRow;
  role: Role;
}

/** A project access with one of its environments (null when the project has none by that name). */
export type EnvironmentAccess = ProjectAccess & { environment: EnvironmentRow | null };

export async function insertProject(
  db: Executor,
  project: ProjectRow,
  environments: EnvironmentRow[],
  owner: MembershipsTable,
): Promise<void> {
  await db.insertInto('projects').values(project).execute();
  await db.insertInto('environments').values(environments).execute();
  await db.insertInto('memberships').values(owner).execute();
}

export async function findProjectBySlug(db: Executor, slug: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('slug', '=', slug).executeTakeFirst();
}

/** The project and the user's role in it; undefined when either is missing. */
export async function findProjectAccess(db: Executor, slug: string, userId: string): Promise<ProjectAccess | undefined> {
  const row = await db
    .selectFrom('projects')
    .innerJoin('memberships', 'memberships.project_id', 'projects.id')
    .selectAll('projects')
    .select('memberships.role as role')
    .where('projects.slug', '=', slug)
    .where('memberships.user_id', '=', userId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { role, ...project } = row;
  return { project, role: role as Role };
}

/**
 * The project, the user's role in it and its environment `name` (null when the project has none
 * by that name), in one query; undefined when the project or the membership is missing.
 */
export async function findEnvironmentAccess(
  db: Executor,
  slug: string,
  userId: string,
  name: string,
): Promise<EnvironmentAccess | undefined> {
  const row = await db
    .selectFrom('projects')
    .innerJoin('memberships', 'memberships.project_id', 'projects.id')
    .leftJoin('environments', (join) => join.onRef('environments.project_id', '=', 'projects.id').on('environments.name', '=', name))
    .selectAll('projects')
    .select(['memberships.role as role', 'environments.id as environment_id', 'environments.revision as environment_revision'])
    .where('projects.slug', '=', slug)
    .where('memberships.user_id', '=', userId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { role, environment_id, environment_revision, ...project } = row;
  const environment = environment_id === null || environment_revision === null ? null : { id: environment_id, project_id: project.id, name, revision: environment_revision };
  return { project, role: role as Role, environment };
}

export async function listProjectsForUser(db: Executor, userId: string): Promise<ProjectAccess[]> {
  const rows = await db
    .selectFrom('projects')
    .innerJoin('memberships', 'memberships.project_id', 'projects.id')
    .selectAll('projects')
    .select('memberships.role as role')
    .where('memberships.user_id', '=', userId)
    .orderBy('projects.slug')
    .execute();
  return rows.map(({ role, ...project }) => ({ project, role: role as Role }));
}

export async function deleteProject(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('projects').where('id', '=', id).execute();
}

export async function insertMembership(db: Executor, membership: MembershipsTable): Promise<void> {
  await db.insertInto('memberships').values(membership).execute();
}

/**
 * One environment of a project. `forShare` (PostgreSQL): under a shared lock, so a writer (who
 * takes the row exclusively first) cannot move the revision before the caller's transaction ends.
 */
export async function findEnvironment(db: Executor, projectId: string, name: string, forShare = false): Promise<EnvironmentRow | undefined> {
  const q = db.selectFrom('environments').selectAll().where('project_id', '=', projectId).where('name', '=', name);
  return (forShare ? q.forShare() : q).executeTakeFirst();
}

/**
 * Takes the environment's write lock and returns its revision: a no-op UPDATE locks the row on
 * PostgreSQL until commit and takes SQLite's write lock at once (like BEGIN IMMEDIATE).
 */
export async function lockEnvironment(db: Executor, id: string): Promise<number | undefined> {
  const row = await db
    .updateTable('environments')
    .set((eb) => ({ revision: eb.ref('revision') }))
    .where('id', '=', id)
    .returning('revision')
    .executeTakeFirst();
  return row?.revision;
}

export async function setEnvironmentRevision(db: Executor, id: string, revision: number): Promise<void> {
  await db.updateTable('environments').set({ revision }).where('id', '=', id).execute();
}

/**
 * Re-reads the environment's revision under a shared lock on PostgreSQL (writers take the row
 * exclusively first, so the reads that follow see one consistent revision); SQLite transactions
 * on the single connection are already serialised.
 */
export async function readEnvironmentRevision(db: Executor, id: string, dialect: 'sqlite' | 'postgres'): Promise<number | undefined> {
  const q = db.selectFrom('environments').select('revision').where('id', '=', id);
  const row = await (dialect === 'postgres' ? q.forShare() : q).executeTakeFirst();
  return row?.revision;
}
