/**
 * claimgate — a claim gateway for launch-minute voucher campaigns.
 *
 * <pre>
 *  citizens ──HTTP──▶ gateway (Vert.x verticle per event loop, stateless)
 *                       │ ONE EVALSHA per claim over a pipelined connection:
 *                       │ kill switch · round window · address bucket · idempotency
 *                       │ · eligibility · pending cap · token bucket · inventory-aware cap · XADD
 *                       ▼
 *                   Redis  {campaignId}:stream   (the waiting room; order = position)
 *                       │ XREAD batches
 *                       ▼
 *                 allocator (ONE writer per campaign: advisory lock + epoch fence)
 *                       │ decide in memory on one thread
 *                       │ → one PostgreSQL transaction per batch
 *                       │   (claims, vouchers, quotas, stream offset, epoch check)
 *                       │ → COMMIT → publish outcomes to Redis (idempotent by seq)
 *                       ▼
 *                 PostgreSQL (source of truth; CHECK constraints forbid oversell)
 *  merchants ──HTTP──▶ gateway /api/v1/redemptions ──▶ HMAC check, then ONE conditional UPDATE
 *  operators ──HTTP/CLI──▶ gateway /admin/v1 ──▶ Redis flags (read by the admission script)
 *                                              + PostgreSQL (campaigns, keys, audit)
 * </pre>
 *
 * <p>This module holds what both sides share: the campaign document ({@code campaign}), the
 * Redis key schema, records and Lua scripts ({@code redis}), voucher codes ({@code voucher}), settings
 * ({@code config}) and the servers and schema ({@code store}).
 */
package claimgate;
