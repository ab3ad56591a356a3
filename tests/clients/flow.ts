// The whole flow with the TypeScript client that openapi-typescript + openapi-fetch make from
// the live document: register, create a workout, start a session, log a set and a batch,
// finish, read the statistics, page through a list, use an ETag. Every type comes from the
// generated `api.d.ts`; `tsc --noEmit` checks this file against it before it runs.
import createClient from "openapi-fetch";
import type { components, paths } from "./api";

type SetCreate = components["schemas"]["SetCreate"];

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`failed: ${what}`);
}

async function main(baseUrl: string): Promise<void> {
  const client = createClient<paths>({ baseUrl });
  const email = `ts-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

  const signedUp = await client.POST("/v1/auth/register", {
    body: { email, password: "correct horse battery", display_name: "Ts" },
  });
  check(signedUp.response.status === 201 && signedUp.data, "register");
  check(signedUp.data.token_type === "Bearer", "token_type");
  const token = signedUp.data.access_token;
  client.use({
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  });

  // the catalogue, two pages of it: the cursor goes back as it came
  const first = await client.GET("/v1/exercises", { params: { query: { limit: 5 } } });
  check(first.data && first.data.items.length === 5, "first page");
  const cursor = first.data.next_cursor;
  check(cursor !== null, "next_cursor");
  const second = await client.GET("/v1/exercises", { params: { query: { limit: 5, cursor } } });
  check(second.data && second.data.items.length === 5, "second page");
  const seen = new Set(first.data.items.map((e) => e.id));
  check(second.data.items.every((e) => !seen.has(e.id)), "pages do not overlap");
  const squat = first.data.items[0];

  // a workout with its exercises, made active with If-Match
  const created = await client.POST("/v1/workouts", {
    body: { name: "Strength A", description: "5 x 5" },
  });
  check(created.response.status === 201 && created.data, "create workout");
  const workout = created.data;
  check(created.response.headers.get("ETag") === `"${workout.version}"`, "ETag of a create");
  const replaced = await client.PUT("/v1/workouts/{workout_id}/exercises", {
    params: { path: { workout_id: workout.id } },
    body: [{ exercise_id: squat.id, target_sets: 5, target_reps: 5, target_weight_kg: 100 }],
  });
  check(replaced.data && replaced.data.exercises.length === 1, "replace exercises");
  const stale = await client.PATCH("/v1/workouts/{workout_id}", {
    params: { path: { workout_id: workout.id }, header: { "If-Match": `"${workout.version}"` } },
    body: { status: "active" },
  });
  check(stale.response.status === 412 && stale.error?.error_code === "etag_mismatch", "412");
  const active = await client.PATCH("/v1/workouts/{workout_id}", {
    params: {
      path: { workout_id: workout.id },
      header: { "If-Match": `"${replaced.data.version}"` },
    },
    body: { status: "active" },
  });
  check(active.data?.status === "active", "active");
  const listed = await client.GET("/v1/workouts", { params: { query: { limit: 1 } } });
  check(listed.data?.items[0]?.id === workout.id, "list workouts");

  // a session from it; a set alone, then a batch
  const started = await client.POST("/v1/sessions", {
    body: { workout_id: workout.id, timezone: "Europe/Paris" },
  });
  check(started.response.status === 201 && started.data, "start session");
  const session = started.data;
  const path = { params: { path: { session_id: session.id } } };
  const one = await client.POST("/v1/sessions/{session_id}/sets", {
    ...path,
    body: { exercise_id: squat.id, set_type: "warmup", reps: 5, weight: 60, weight_unit: "kg" },
  });
  check(one.data && one.data.sets.length === 1, "log one set");
  const batch: SetCreate[] = [
    { exercise_id: squat.id, reps: 5, weight: 100, rpe: 8 },
    { exercise_id: squat.id, reps: 5, weight: 225, weight_unit: "lb" },
  ];
  const logged = await client.POST("/v1/sessions/{session_id}/sets", { ...path, body: batch });
  check(logged.data, "log a batch");
  check(logged.data.sets.map((s) => s.position).join() === "1,2", "positions");
  check(logged.data.sets[1].weight === 225 && logged.data.sets[1].weight_unit === "lb", "lb");

  // finish without a body, then again with one (a retry changes nothing)
  const finished = await client.POST("/v1/sessions/{session_id}/finish", path);
  check(finished.data?.status === "completed", "finish");
  const again = await client.POST("/v1/sessions/{session_id}/finish", { ...path, body: {} });
  check(again.data?.version === finished.data.version, "finish again");

  // the ETag: If-None-Match with the current one is 304, without a body
  const read = await client.GET("/v1/sessions/{session_id}", path);
  const etag = read.response.headers.get("ETag");
  check(read.response.status === 200 && etag, "ETag of a read");
  const unchanged = await client.GET("/v1/sessions/{session_id}", {
    params: { path: { session_id: session.id }, header: { "If-None-Match": etag } },
  });
  check(unchanged.response.status === 304, "304");

  const summary = await client.GET("/v1/stats/summary", {
    params: { query: { tz: "Europe/Paris" } },
  });
  check(summary.data?.sessions === 1 && summary.data.sets === 2, "summary");
  console.log("typescript client: flow ok");
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
