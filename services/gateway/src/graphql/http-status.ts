import type { ApolloServerPlugin } from '@apollo/server';

/** The two response media types of GraphQL over HTTP. */
export const JSON_MEDIA_TYPE = 'application/json';
export const GRAPHQL_RESPONSE_MEDIA_TYPE = 'application/graphql-response+json';
type ResponseMediaType = typeof JSON_MEDIA_TYPE | typeof GRAPHQL_RESPONSE_MEDIA_TYPE;

/**
 * The response media type an `Accept` header asks for, negotiated as Apollo does (highest q, then
 * the most specific range, then the range listed first; `application/json` wins a tie): undefined
 * when it accepts neither. No header means `application/json`, the legacy default.
 */
export function responseMediaType(accept: string | undefined): ResponseMediaType | undefined {
  if (!accept?.trim()) return JSON_MEDIA_TYPE;
  const ranges = accept.split(',').map((part, order) => {
    const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const quality = q ? Number(q.slice(2)) : 1;
    return { range, quality: Number.isFinite(quality) ? quality : 0, order };
  });
  let best: { type: ResponseMediaType; quality: number; specificity: number; order: number } | undefined;
  for (const type of [JSON_MEDIA_TYPE, GRAPHQL_RESPONSE_MEDIA_TYPE] as const) {
    const [major] = type.split('/');
    for (const { range, quality, order } of ranges) {
      const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1;
      if (specificity < 0 || quality <= 0) continue;
      const better =
        !best ||
        quality > best.quality ||
        (quality === best.quality && specificity > best.specificity) ||
        (quality === best.quality && specificity === best.specificity && order < best.order);
      if (better) best = { type, quality, specificity, order };
    }
  }
  return best?.type;
}

/**
 * GraphQL over HTTP: a client that reads only `application/json` (legacy clients, and those that
 * send no Accept header) cannot tell a GraphQL response from an intermediary's error page except
 * by status 200, so request errors (parse, validation, variable coercion, and the depth and cost
 * limits, which are validation rules of ours) answer 200 with `errors` and no `data`. Clients that
 * accept `application/graphql-response+json` keep the 4xx, whose body is always GraphQL's.
 * Authentication (401) and rate limits (429) fail before the operation and keep their status.
 */
export function legacyJsonStatusPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response }) {
          if (response.body.kind !== 'single' || response.body.singleResult.data !== undefined) return;
          if (response.http.status !== 400) return;
          const type = responseMediaType(request.http?.headers.get('accept'));
          if (type !== JSON_MEDIA_TYPE) return;
          response.http.status = 200;
          // The same negotiation decides the content type, so status and type always agree.
          response.http.headers.set('content-type', `${JSON_MEDIA_TYPE}; charset=utf-8`);
        },
      };
    },
  };
}
