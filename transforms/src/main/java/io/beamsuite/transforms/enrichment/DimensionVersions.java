package io.beamsuite.transforms.enrichment;

import io.beamsuite.transforms.cdc.ChangeEvent;
import io.beamsuite.transforms.cdc.ChangePosition;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The versions of one dimension row, ordered by the time from which each is valid (its commit
 * time). A deleted row is a version whose value is {@code null}.
 */
final class DimensionVersions<V> {
  static final class Version<V> {
    final long validFrom;
    final ChangePosition position;
    final @Nullable V value;

    Version(long validFrom, ChangePosition position, @Nullable V value) {
      this.validFrom = validFrom;
      this.position = position;
      this.value = value;
    }
  }

  final List<Version<V>> versions;

  DimensionVersions() {
    this(new ArrayList<>());
  }

  private DimensionVersions(List<Version<V>> versions) {
    this.versions = versions;
  }

  /**
   * Adds the version a change creates. Changes committed at the same time are ordered by log
   * position; a redelivered change (same position) is ignored.
   */
  void add(ChangeEvent<?, V> change) {
    long validFrom = change.commitTime().getMillis();
    Version<V> version = new Version<>(validFrom, change.position(), change.after());
    int i = 0;
    while (i < versions.size()) {
      Version<V> existing = versions.get(i);
      int byTime = Long.compare(existing.validFrom, validFrom);
      int byPosition = existing.position.compareTo(change.position());
      if (byTime == 0 && byPosition == 0) {
        return;
      }
      if (byTime > 0 || (byTime == 0 && byPosition > 0)) {
        break;
      }
      i++;
    }
    versions.add(i, version);
  }

  /** The version valid at {@code time}, or {@code null} if the row did not exist yet. */
  @Nullable Version<V> validAt(long time) {
    Version<V> found = null;
    for (Version<V> v : versions) {
      if (v.validFrom > time) {
        break;
      }
      found = v;
    }
    return found;
  }

  /**
   * Drops versions no record at or after {@code horizon} can need: all but the newest version valid
   * at the horizon. Returns how many were dropped.
   */
  int expireBefore(long horizon) {
    int keepFrom = 0;
    for (int i = 0; i < versions.size(); i++) {
      if (versions.get(i).validFrom <= horizon) {
        keepFrom = i;
      }
    }
    if (keepFrom > 0) {
      versions.subList(0, keepFrom).clear();
    }
    return keepFrom;
  }

  static final class VersionsCoder<V> extends CustomCoder<DimensionVersions<V>> {
    private static final long serialVersionUID = 1L;
    private final Coder<@Nullable V> valueCoder;

    VersionsCoder(Coder<V> valueCoder) {
      this.valueCoder = NullableCoder.of(valueCoder);
    }

    @Override
    public void encode(DimensionVersions<V> value, OutputStream out) throws IOException {
      VarIntCoder.of().encode(value.versions.size(), out);
      for (Version<V> v : value.versions) {
        BigEndianLongCoder.of().encode(v.validFrom, out);
        ChangePosition.coder().encode(v.position, out);
        valueCoder.encode(v.value, out);
      }
    }

    @Override
    public DimensionVersions<V> decode(InputStream in) throws IOException {
      int n = VarIntCoder.of().decode(in);
      List<Version<V>> versions = new ArrayList<>(n + 1);
      for (int i = 0; i < n; i++) {
        versions.add(
            new Version<>(
                BigEndianLongCoder.of().decode(in),
                ChangePosition.coder().decode(in),
                valueCoder.decode(in)));
      }
      return new DimensionVersions<>(versions);
    }
  }
}
