package io.beamsuite.io.jdbc;

import java.io.Serializable;
import java.util.Objects;

/** A small record for sink tests. */
final class TestCustomer implements Serializable {
  private static final long serialVersionUID = 1L;
  final String id;
  final String name;
  final String tier;
  final long limitCents;

  TestCustomer(String id, String name, String tier, long limitCents) {
    this.id = id;
    this.name = name;
    this.tier = tier;
    this.limitCents = limitCents;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TestCustomer)) {
      return false;
    }
    TestCustomer c = (TestCustomer) o;
    return id.equals(c.id)
        && name.equals(c.name)
        && tier.equals(c.tier)
        && limitCents == c.limitCents;
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, name, tier, limitCents);
  }

  @Override
  public String toString() {
    return id + "|" + name + "|" + tier + "|" + limitCents;
  }
}
