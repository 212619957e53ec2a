package claimgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import claimgate.web.ApiError;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Java 17 has no exhaustive switch over a sealed interface's records, so {@link Refusals#of}
 * is a chain of tests: this one makes it exhaustive by construction. Every kind of answer the
 * admission script can give but admission itself is mapped to a 4xx or a 503 with an error code,
 * never the fallback that would be a 500.
 */
class RefusalsTest {

  @Test
  @DisplayName("every refusal the admission script can answer has its own 4xx or 503, none falls through")
  void everyKindRefusedByName() throws Exception {
    Class<?>[] kinds = Admission.class.getPermittedSubclasses();
    assertThat(kinds).hasSizeGreaterThan(10);
    for (Class<?> kind : kinds) {
      if (kind == Admission.Queued.class || kind == Admission.Prequeued.class) {
        continue;
      }
      ApiError error = Refusals.of(instance(kind));
      assertThat(error.status()).as(kind.getSimpleName()).isBetween(400, 503).isNotEqualTo(500);
      assertThat(error.body().getString("error")).as(kind.getSimpleName()).isNotBlank();
    }
  }

  /** A record of the kind with zero or empty values. */
  private static Admission instance(Class<?> kind) throws Exception {
    RecordComponent[] components = kind.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      values[i] = types[i] == long.class ? 0L : types[i] == int.class ? 0 : types[i] == boolean.class ? false : null;
    }
    Constructor<?> constructor = kind.getDeclaredConstructor(types);
    return (Admission) constructor.newInstance(values);
  }
}
