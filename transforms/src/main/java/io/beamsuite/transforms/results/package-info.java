/** The one implementation of {@code POutput} that every transform's typed result extends. */
package io.beamsuite.transforms.results;
