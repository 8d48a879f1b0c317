/** What keeps the transforms' results the same on every runner where a runner differs. */
package io.beamsuite.transforms.portability;
