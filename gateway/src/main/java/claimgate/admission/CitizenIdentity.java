package claimgate.admission;

import claimgate.web.ApiError;
import claimgate.web.Bearer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;

/**
 * Who is claiming. With identity {@code none} the body's {@code citizenId} is taken as it is;
 * with {@code jwt} a bearer token signed by the configured key (RS256) is required, its
 * {@code sub} is the citizen and the body's field is ignored, and an integer {@code tier} claim,
 * when present, is what eligibility is judged by (a member's tier, say).
 */
public final class CitizenIdentity {

  /** A claiming citizen; {@code tier} only when a verified token carried one. */
  public record Citizen(String id, Optional<Integer> tier) {}

  private static final int MAX_CITIZEN_ID_CHARS = 64;

  private final JWTAuth jwt;

  private CitizenIdentity(JWTAuth jwt) {
    this.jwt = jwt;
  }

  public static CitizenIdentity none() {
    return new CitizenIdentity(null);
  }

  /** @param publicKeyPem the PEM public key that verifies citizens' tokens */
  public static CitizenIdentity jwt(Vertx vertx, String publicKeyPem) {
    return new CitizenIdentity(JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(publicKeyPem))));
  }

  /** @param bodyCitizenId the body's {@code citizenId}, or null */
  public Future<Citizen> identify(HttpServerRequest request, String bodyCitizenId) {
    if (jwt == null) {
      String citizenId = bodyCitizenId;
      if (citizenId == null) {
        return Future.failedFuture(new ApiError(400, "invalid_request", "citizenId is required"));
      }
      return Future.succeededFuture(new Citizen(citizenId, Optional.empty()));
    }
    Optional<String> token = Bearer.of(request);
    if (token.isEmpty()) {
      return Future.failedFuture(unauthenticated());
    }
    return jwt.authenticate(new TokenCredentials(token.get()))
        .recover(failure -> Future.failedFuture(unauthenticated()))
        .compose(user -> {
          JsonObject claims = user.principal();
          String sub = claims.getString("sub");
          if (sub == null || sub.isEmpty() || sub.length() > MAX_CITIZEN_ID_CHARS) {
            return Future.failedFuture(unauthenticated());
          }
          Object tier = claims.getValue("tier");
          return Future.succeededFuture(new Citizen(sub,
              tier instanceof Number n ? Optional.of(n.intValue()) : Optional.empty()));
        });
  }

  private static ApiError unauthenticated() {
    return new ApiError(401, "unauthenticated", "send a valid identity token as Authorization: Bearer <token>");
  }
}
